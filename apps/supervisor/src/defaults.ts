import { WATCHDOG_DEFAULTS } from '@runwarden/watchdog';

/**
 * The supervisor's defaults, in one place: the config loader, `--help` and the
 * README read them. Every per-run setting falls back to the watchdog's own
 * {@link WATCHDOG_DEFAULTS}, never to a copy. Durations in ms.
 */
export const SUPERVISOR_DEFAULTS = Object.freeze({
  /** The config file looked for in the working directory. */
  configFile: 'runwarden.yaml',
  /** The state directory, relative to the config file's directory. */
  stateDir: '.runtime',
  /** Where the HTTP API binds: loopback, any free port. */
  listen: '127.0.0.1:0',
  /** What the supervisor does once a loop's watchdog has ended (supervisord's `autorestart=unexpected`). */
  restartPolicy: 'on-failure' as const,
  /** Backoff between runs of a loop: the watchdog's resume backoff (1 s doubling to 5 min, ±20 %). */
  restartBackoff: WATCHDOG_DEFAULTS.backoff,
  /** A run that lived this long resets the loop's backoff and give-up budget (10 min). */
  resetAfterMs: WATCHDOG_DEFAULTS.backoffResetMs,
  /** Restarts allowed within `giveUpWithinMs` before the loop is `fatal` (supervisord's `startretries`). */
  giveUpRestarts: 5,
  /** The give-up window (30 min). */
  giveUpWithinMs: 30 * 60_000,
  /** How often the global `done` command runs (30 s). */
  doneCommandEveryMs: 30_000,
  /** How often the global `done` file is read (1 s; a stat when it did not change). */
  doneFileEveryMs: 1000,
  /** Longest run of the `done` command: the watchdog's check timeout. */
  doneCommandTimeoutMs: WATCHDOG_DEFAULTS.checkTimeoutMs,
  /** Lease of a loop's coordination target, refreshed every third of it (5 min, as `runwarden run --target`). */
  targetLeaseMs: 5 * 60_000,
  /** Heartbeat staleness of the supervisor's and the loops' locks (60 s, as `runwarden run`). */
  lockStaleAfterMs: 60_000,
  /** `/healthz` answers 503 when the supervisor's own ticker was late by this much (3 s). */
  healthStallMs: 3000,
  /** Events `GET /events` holds for clients that reconnect with `Last-Event-ID`. */
  eventsHeld: 4096,
  /** Bytes that may wait for one slow SSE client before it is dropped (it reconnects and resumes; 1 MB). */
  sseBufferMaxBytes: 1024 * 1024,
  /** A comment line to each SSE client this often, so proxies keep the stream open (15 s). */
  sseKeepAliveMs: 15_000,
  /** The `retry:` an SSE client is told: reconnect after 1 s. */
  sseRetryMs: 1000,
  /** How long `status` and the page wait for the API before they call the supervisor unanswering (3 s). */
  answerWithinMs: 3000,
  /** How often the page reads `/runs` and `/guards` (1 s). */
  dashboardPollMs: 1000,
});
