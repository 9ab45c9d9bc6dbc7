import { prepare, tryOnce } from './attempt.js';
import { LOCK_DEFAULTS } from './defaults.js';
import type { LockHandle } from './handle.js';
import type { AcquireOptions, LockOptions } from './options.js';
import { waitForTurn } from './wait.js';

/**
 * Takes the lock: creates `path` exclusively, or takes over a lock whose
 * holder is proven gone (see `judge`); while a live holder has it, waits up
 * to `waitMs` (0 by default: fail at once), retrying with exponential backoff
 * and jitter from `retryMs` to `maxRetryMs` like proper-lockfile's `lock`
 * with `retries`, woken early when the lock file is moved or removed and when
 * a holder on this machine dies (README, "Waiting"). To see what it would do
 * without touching anything, call {@link planAcquire}.
 *
 * @param path - the lock file, e.g. `.runtime/RUN.lock`; its directory is created with mode 0700.
 * @param options - see {@link AcquireOptions}.
 * @returns a {@link LockHandle} with the fencing token and an AbortSignal.
 * @throws {LockHeldError} when a live (or unprovably dead) holder still has it after `waitMs`.
 * @throws {LockCorruptError} when the lock or its fence holds garbage (never waited on; left untouched).
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path or its directory is a symlink,
 *   `ERR_LOCK_IO` when the directory cannot be written (EACCES, EROFS, ENOSPC, …),
 *   `ERR_LOCK_FENCE_EXHAUSTED` when no fencing token is left.
 * @throws {TypeError} when given the `dryRun` option of older versions (use {@link planAcquire}).
 * @throws the reason of `options.signal` when it aborts.
 */
export async function acquire(path: string, options: AcquireOptions = {}): Promise<LockHandle> {
  if ((options as { dryRun?: unknown }).dryRun) {
    throw new TypeError(
      'acquire() takes no dryRun option: call planAcquire(path, options) to see what it would do.',
    );
  }
  const { resolved, holder } = prepare(path, options);
  const started = performance.now();
  const waitMs = options.waitMs ?? LOCK_DEFAULTS.waitMs;
  const maxRetryMs = Math.max(1, options.maxRetryMs ?? LOCK_DEFAULTS.maxRetryMs);
  const pollMs = Math.max(1, options.pollMs ?? LOCK_DEFAULTS.pollMs);
  let delay = Math.max(1, options.retryMs ?? LOCK_DEFAULTS.retryMs);
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const result = tryOnce(resolved, holder, waited);
    if ('handle' in result) return result.handle;
    const remaining = started + waitMs - performance.now();
    if (remaining <= 0) throw result.held;
    let sleep = Math.min(delay * (0.5 + Math.random() / 2), remaining);
    if (result.changesAtMs !== undefined) {
      sleep = Math.min(sleep, Math.max(1, result.changesAtMs - resolved.now()));
    }
    await waitForTurn(resolved.path, {
      wakeBy: performance.now() + sleep,
      probe: result.probe,
      pollMs,
      signal: options.signal,
    });
    waited = true;
    delay = Math.min(delay * 2, maxRetryMs);
  }
}

/**
 * Takes the lock at once or throws; never waits.
 *
 * @deprecated Use {@link acquire}: `tryAcquire(path, options)` is
 *   `acquire(path, { ...options, waitMs: 0 })`, and `0` is `acquire`'s default.
 *   Kept so code written against the first README (`await tryAcquire(…)`) keeps working.
 * @param path - the lock file.
 * @param options - see {@link LockOptions}.
 * @returns a {@link LockHandle}.
 * @throws as {@link acquire}.
 */
export function tryAcquire(path: string, options: LockOptions = {}): Promise<LockHandle> {
  return acquire(path, { ...options, waitMs: 0 });
}

/**
 * Runs `fn` while holding the lock and releases it afterwards, also on error
 * (proper-lockfile's `lock` + `release` in one call).
 *
 * @param path - the lock file.
 * @param fn - the critical section; it gets the handle (pass `handle.fencingToken`
 *   with guarded writes, stop when `handle.signal` aborts).
 * @param options - see {@link AcquireOptions}.
 * @returns what `fn` returns.
 * @throws whatever {@link acquire} or `fn` throws.
 */
export async function withLock<T>(
  path: string,
  fn: (handle: LockHandle) => Promise<T> | T,
  options: AcquireOptions = {},
): Promise<T> {
  const handle = await acquire(path, options);
  try {
    return await fn(handle);
  } finally {
    await handle.release();
  }
}
