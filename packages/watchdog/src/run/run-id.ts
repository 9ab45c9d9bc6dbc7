import { randomBytes } from 'node:crypto';

/**
 * A time-sortable run id: `YYYYMMDD-HHMMSS-mmm-<6 hex>` (UTC, to the
 * millisecond, then 24 random bits), so ids sort in the order the runs
 * started, however many start in one second (a loop restarting a quick
 * command, runs of several targets). Ids from before the milliseconds were
 * added (`YYYYMMDD-HHMMSS-<6 hex>`) still sort by their second.
 *
 * @param nowMs - the time to stamp, Unix ms. @default Date.now()
 * @returns the id, e.g. `20261202-064824-493-16848e`.
 */
export function newRunId(nowMs: number = Date.now()): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}-${iso.slice(20, 23)}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
