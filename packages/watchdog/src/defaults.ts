import { AGENT_QUOTA_PATTERN } from './quota.js';

/**
 * The watchdog's defaults, in one place: the default of every option of
 * {@link superviseRun} and of the parts it is made of (services, quota pauses,
 * logs, backoff, the completion check, action claims). The code falls back to
 * them, and the CLI's and the supervisor's flags, config, help text and docs
 * read them (a default lives in one exported constant, as execa's
 * `DEFAULT_FORCE_KILL_TIMEOUT`). Durations in ms, sizes in bytes.
 */
export const WATCHDOG_DEFAULTS = Object.freeze({
  /** No output for this long after the first byte ends the attempt (30 min). */
  idleTimeoutMs: 1_800_000,
  /** Wall clock over the whole run; `0` is none. */
  missionTimeoutMs: 0,
  /** No change to a progress source for this long ends the attempt; `0` is off. */
  progressIdleMs: 0,
  /** Resumes without progress before the hand-off. */
  maxResumes: 20,
  /** Which deaths are resumed, without and with a completion predicate (systemd's `Restart=`). */
  resumeOn: Object.freeze({
    withoutPredicate: Object.freeze(['hang', 'signal'] as const),
    withPredicate: Object.freeze(['hang', 'signal', 'exit-0', 'failure'] as const),
  }),
  /** Between the graceful and the forced signal when a tree is ended (5 s). */
  killGraceMs: 5000,
  /** After the DONE file or marker, how long the child may take to exit (30 s). */
  completionGraceMs: 30_000,
  /** Longest run of the completion check (5 min). */
  checkTimeoutMs: 300_000,
  /** Resume backoff: 1 s doubling to 5 min, ±20 % jitter (AWS "Exponential Backoff and Jitter"). */
  backoff: Object.freeze({ initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0.2 }),
  /** Progress (or uptime) this long resets the backoff (10 min, as PM2's `exp_backoff_restart_delay`). */
  backoffResetMs: 600_000,
  /** Quota pauses: fallback 15 min, at most 6 h, 30 s margin after a parsed reset, 20 pauses. */
  quota: Object.freeze({
    pattern: AGENT_QUOTA_PATTERN,
    fallbackPauseMs: 900_000,
    maxPauseMs: 21_600_000,
    marginMs: 30_000,
    maxPauses: 20,
  }),
  /** How the child's output reaches the logs: through pipes read by the watchdog. */
  output: 'pipe' as 'pipe' | 'file',
  /** Log rotation per stream: 50 MB × 5 backups (supervisord's `stdout_logfile_maxbytes` / `_backups`). */
  logs: Object.freeze({ maxBytes: 50 * 1024 * 1024, backups: 5 }),
  /** Each log file keeps its SHA-256 chain beside it (`<file>.sha256chain`). */
  logChain: true,
  /** How often an adopted process's identity is checked (200 ms). */
  adoptPollMs: 200,
  /** How often progress sources are stat'ed (1 s; a quarter of `progressIdleMs` when that is smaller). */
  progressPollMs: 1000,
  /**
   * A service's readiness: deadline 60 s; per probe, connect 5 s and read
   * 30 s; 200 ms between probes; a `readyPort` on the loopback address.
   */
  service: Object.freeze({
    startupTimeoutMs: 60_000,
    connectTimeoutMs: 5000,
    readTimeoutMs: 30_000,
    probeIntervalMs: 200,
    readyHost: '127.0.0.1',
  }),
  /** Action claims: lines read up to 4 KiB; the last 4 MiB of each reflog read for follow-through. */
  actionClaims: Object.freeze({ maxLineBytes: 4096, reflogTailBytes: 4 * 1024 * 1024 }),
});
