/**
 * Every default of `@runwarden/lock-core`, in one place: the code, the CLI's
 * help and the README read these (execa's `DEFAULT_FORCE_KILL_TIMEOUT`).
 */
export const LOCK_DEFAULTS = {
  /** What kind of runner holds the lock, recorded in the body. */
  runnerToken: 'runwarden',
  /**
   * Heartbeat age in ms after which a foreign host's lock may be taken over
   * (with `foreignHostTakeover`), and after which a late heartbeat
   * compromises our own handle.
   */
  staleAfterMs: 30_000,
  /** The heartbeat interval is `staleAfterMs` divided by this (10 s by default). */
  heartbeatsPerStaleWindow: 3,
  /** Grace in ms, from its mtime, of an empty or cut-short lock file (and a creator's temp file). */
  incompleteGraceMs: 2000,
  /** How long `acquire` waits for a held lock, in ms: `0` fails at once. */
  waitMs: 0,
  /** First retry delay in ms while waiting; doubles with jitter up to `maxRetryMs`. */
  retryMs: 25,
  /** Longest retry delay in ms while waiting. */
  maxRetryMs: 1000,
  /** How often a live holder's pid on this machine is checked while waiting, in ms. */
  pollMs: 10,
} as const;
