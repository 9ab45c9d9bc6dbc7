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
  // node:crypto on first use: `runIdInstant` users (`runwarden status`) never load it.
  const { randomBytes } = process.getBuiltinModule('node:crypto') as typeof import('node:crypto');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * The instant a run id sorts by: `YYYYMMDD-HHMMSS-mmm` for an id of
 * {@link newRunId}, `YYYYMMDD-HHMMSS` for one made before the milliseconds
 * were added, the whole id for any other (a `--run-id` of the caller's). Runs
 * whose ids share an instant started in the same millisecond (or second), in
 * no order the ids tell; a caller that needs one reads their start times.
 *
 * @param runId - the run id.
 * @returns the prefix that orders it.
 */
export function runIdInstant(runId: string): string {
  if (/^\d{8}-\d{6}-\d{3}-/.test(runId)) return runId.slice(0, 19);
  if (/^\d{8}-\d{6}-/.test(runId)) return runId.slice(0, 15);
  return runId;
}
