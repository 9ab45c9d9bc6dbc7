/**
 * The CLI's own defaults, in one place (the watchdog's are
 * `WATCHDOG_DEFAULTS`): the commands, their help text and the README read
 * them. Durations in ms.
 */
export const CLI_DEFAULTS = Object.freeze({
  /** `runwarden runs`: how many runs are listed (`0`: all). */
  runsLimit: 20,
  /** `runwarden logs`: how many lines from the end of each stream. */
  logLines: 20,
  /** `runwarden run --target`: the lease of the target's claim, refreshed every third of it (5 min). */
  targetLeaseMs: 300_000,
  /**
   * `runwarden run`: a lock held by another machine counts as stale once its
   * heartbeat is this old (60 s); on this machine only a dead holder frees it.
   */
  lockStaleAfterMs: 60_000,
  /** `runwarden evidence`: the progress bar appears only once hashing has taken this long (1 s). */
  progressDelayMs: 1000,
});
