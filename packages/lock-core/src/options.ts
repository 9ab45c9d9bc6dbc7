import { resolve } from 'node:path';
import type { ProcessIdentity } from '@runwarden/process-identity';
import { LOCK_DEFAULTS } from './defaults.js';
import type { LockRecord } from './schema.js';

/** Options shared by `acquire`, `planAcquire`, `inspect`, `breakLock` and `withLock`. */
export interface LockOptions {
  /**
   * What kind of runner holds the lock, recorded in the body.
   * @default LOCK_DEFAULTS.runnerToken ('runwarden')
   */
  runnerToken?: string;
  /**
   * The repository or directory the lock guards.
   * @default the lock file's directory
   */
  repoMarker?: string;
  /** The run that takes the lock; recorded so its orphans can be found by `RUNWARDEN_RUN_ID`. @default none */
  runId?: string;
  /**
   * Heartbeat age in ms after which a foreign host's lock may be taken over
   * (with `foreignHostTakeover`; the holder's own recorded window is used when
   * larger), and after which a late heartbeat compromises our own handle.
   * @default LOCK_DEFAULTS.staleAfterMs (30000)
   */
  staleAfterMs?: number;
  /**
   * Heartbeat interval in ms; `0` turns the heartbeat off (and with it the
   * late-heartbeat check).
   * @default staleAfterMs / LOCK_DEFAULTS.heartbeatsPerStaleWindow (10000)
   */
  heartbeatMs?: number;
  /**
   * How long an empty or cut-short lock file (and a temp file a crashed
   * creator left) is given, from its mtime, before it is judged abandoned, in ms.
   * @default LOCK_DEFAULTS.incompleteGraceMs (2000)
   */
  incompleteGraceMs?: number;
  /**
   * Take over a lock held on another machine (or pid namespace) when its
   * heartbeat is older than `staleAfterMs`; never on a network filesystem.
   * @default false
   */
  foreignHostTakeover?: boolean;
  /**
   * Extra liveness: pids of processes still working for a dead holder (the
   * CLI passes the processes carrying the holder's run id). A dead holder with
   * live orphans still holds the lock (`orphaned-run`).
   * @default none
   */
  orphansOf?: (record: LockRecord) => number[];
  /**
   * Abort the handle's signal when a heartbeat comes later than `staleAfterMs`
   * (proper-lockfile's `onCompromised`), besides when the file is replaced or removed.
   * @default true
   */
  abortOnLateHeartbeat?: boolean;
  /** The holder identity to record. @default this process */
  holder?: ProcessIdentity;
  /** Injected clock, Unix ms. @default Date.now */
  now?: () => number;
}

/** Options for `acquire` and `withLock`. */
export interface AcquireOptions extends LockOptions {
  /**
   * How long to wait for a held lock, in ms; `0` fails at once with `LockHeldError`.
   * @default LOCK_DEFAULTS.waitMs (0)
   */
  waitMs?: number;
  /**
   * First retry delay in ms while waiting; doubles (with jitter) up to `maxRetryMs`,
   * like proper-lockfile's `retries`.
   * @default LOCK_DEFAULTS.retryMs (25)
   */
  retryMs?: number;
  /** Longest retry delay in ms. @default LOCK_DEFAULTS.maxRetryMs (1000) */
  maxRetryMs?: number;
  /**
   * While a live holder on this machine has the lock, how often its pid is
   * checked (one read of `/proc/<pid>/stat`), in ms.
   * @default LOCK_DEFAULTS.pollMs (10)
   */
  pollMs?: number;
  /** Stops waiting: the call rejects with the signal's reason. @default none */
  signal?: AbortSignal;
}

/** Options for `breakLock`. */
export interface BreakLockOptions extends LockOptions {
  /** Report in `wouldDo` what would be done, and touch nothing. @default false */
  dryRun?: boolean;
}

/** {@link LockOptions} with every default filled in, and the lock path made absolute. */
export interface ResolvedLockOptions {
  path: string;
  staleAfterMs: number;
  heartbeatMs: number;
  incompleteGraceMs: number;
  now: () => number;
  /** Monotonic ms for intervals: the injected clock when given, else performance.now. */
  monotonic: () => number;
  options: LockOptions;
}

/**
 * Fills in the defaults of {@link LockOptions} from {@link LOCK_DEFAULTS}.
 *
 * @param lockPath - the lock file, made absolute.
 * @param options - what the caller gave.
 * @returns the resolved options.
 */
export function resolveOptions(lockPath: string, options: LockOptions): ResolvedLockOptions {
  const staleAfterMs = options.staleAfterMs ?? LOCK_DEFAULTS.staleAfterMs;
  return {
    path: resolve(lockPath),
    staleAfterMs,
    heartbeatMs:
      options.heartbeatMs ??
      Math.max(1, Math.floor(staleAfterMs / LOCK_DEFAULTS.heartbeatsPerStaleWindow)),
    incompleteGraceMs: options.incompleteGraceMs ?? LOCK_DEFAULTS.incompleteGraceMs,
    now: options.now ?? Date.now,
    monotonic: options.now ?? (() => performance.now()),
    options,
  };
}
