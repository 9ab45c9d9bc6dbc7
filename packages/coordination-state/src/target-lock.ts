/**
 * The lock a FileStore change is made under (`<record file>.lock`, a
 * lock-core lock), taken only when a plain read cannot answer, and waited
 * for with inotify on the lock's directory instead of a sleeping backoff.
 */
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { acquire, LockError, type LockHandle, LockHeldError } from '@runwarden/lock-core';
import type { ProcessIdentity } from '@runwarden/process-identity';
import { CoordinationError } from './errors.js';
import { LOCK_RUNNER_TOKEN } from './state-files.js';

const FIRST_RETRY_MS = 1;
const MAX_RETRY_MS = 25;

function jitter(delayMs: number): number {
  return delayMs / 2 + Math.random() * delayMs;
}

/**
 * Waits until the lock file is removed or replaced (inotify through
 * `fs.watch` on its directory), or `timeoutMs` passes, whichever is first: a
 * waiter wakes as soon as the holder lets go instead of sleeping a backoff out.
 */
function waitForRemoval(lockPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolvePromise) => {
    let watcher: FSWatcher | undefined;
    const name = basename(lockPath);
    const done = () => {
      clearTimeout(timer);
      watcher?.close();
      resolvePromise();
    };
    const timer = setTimeout(done, timeoutMs);
    try {
      watcher = watch(dirname(lockPath), { persistent: false }, (event, file) => {
        if (event === 'rename' && (file === null || file === name)) done();
      });
      watcher.on('error', () => undefined);
    } catch {
      // no inotify (or too many watches): the timer alone wakes us
    }
  });
}

async function tryLock(
  path: string,
  directory: string,
  holder: ProcessIdentity | undefined,
): Promise<LockHandle> {
  try {
    return await acquire(`${path}.lock`, {
      heartbeatMs: 0,
      runnerToken: LOCK_RUNNER_TOKEN,
      repoMarker: directory,
      holder,
    });
  } catch (error) {
    // Held is the caller's to wait on; any other lock failure is the store's.
    if (LockHeldError.isInstance(error) || !LockError.isInstance(error)) throw error;
    throw new CoordinationError({
      code: error.code === 'ERR_LOCK_IO' ? 'ERR_STORE_IO' : 'ERR_INVALID_STATE',
      message: `Cannot lock ${path} to change it: ${error.message}`,
      path: error.path,
      cause: error,
      hint: error.hint,
    });
  }
}

/** How {@link lockUnlessAnswered} goes about it. */
export interface LockUnlessAnsweredOptions<R> {
  /** The store's directory (the lock's `repoMarker`). */
  directory: string;
  /** The identity to record in the lock. */
  holder: ProcessIdentity | undefined;
  /** How long to wait for another writer, in ms, before `ERR_STORE_BUSY`. */
  lockWaitMs: number;
  /** Decides on a plain read: `{ value }` answers without the lock, `undefined` needs it. */
  answer: () => { value: R } | undefined;
  /** Runs before each try for the lock (creates the record's directory). */
  prepare: () => void;
}

/**
 * Takes the record's lock unless a plain read answers first. An outcome that
 * writes nothing (a conflict, a no-op) needs no lock: the file is only ever
 * replaced whole, so a read is one state the target really had during the
 * call, and answering from it is linearizable. So the decision is first made
 * on a plain read, and again after every wait: a contender that loses the
 * race learns it from a read instead of queueing for the lock.
 *
 * @param path - the record file.
 * @param options - see {@link LockUnlessAnsweredOptions}.
 * @returns the lock (the caller decides again under it and releases it), or the answer.
 * @throws {CoordinationError} `ERR_STORE_BUSY` after `lockWaitMs`; `ERR_STORE_IO` or `ERR_INVALID_STATE` when the lock cannot be taken.
 */
export async function lockUnlessAnswered<R>(
  path: string,
  options: LockUnlessAnsweredOptions<R>,
): Promise<{ lock: LockHandle } | { answered: { value: R } }> {
  const deadline = Date.now() + options.lockWaitMs;
  let delayMs = FIRST_RETRY_MS;
  for (;;) {
    const answered = options.answer();
    if (answered) return { answered };
    options.prepare();
    try {
      return { lock: await tryLock(path, options.directory, options.holder) };
    } catch (error) {
      if (!LockHeldError.isInstance(error)) throw error;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new CoordinationError({
          code: 'ERR_STORE_BUSY',
          message: `Another writer held ${path} for more than ${options.lockWaitMs} ms: ${error.message}`,
          path,
          cause: error,
          hint: error.hint,
        });
      }
      await waitForRemoval(`${path}.lock`, Math.min(left, jitter(delayMs)));
      delayMs = Math.min(MAX_RETRY_MS, delayMs * 2);
    }
  }
}
