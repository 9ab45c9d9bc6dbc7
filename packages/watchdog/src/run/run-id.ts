import { randomBytes } from 'node:crypto';

/**
 * A time-sortable run id: `YYYYMMDD-HHMMSS-<6 hex>` (UTC).
 *
 * @param nowMs - the time to stamp, Unix ms. @default Date.now()
 * @returns the id.
 */
export function newRunId(nowMs: number = Date.now()): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}
