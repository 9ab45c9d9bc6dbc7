import { takeoverInProgress } from './claim-chain.js';
import { inspectResolved, type LockInspection } from './inspect.js';
import { readLockFile } from './lock-file.js';
import { type LockOptions, resolveOptions } from './options.js';

/** What {@link planAcquire} found: what `acquire` would do now. Nothing was touched. */
export interface AcquirePlan {
  /**
   * What `acquire` would do now: create a free lock, take over a stale
   * one, fail with `LockHeldError`, or fail with `LockCorruptError`.
   */
  outcome: 'would-acquire' | 'would-take-over' | 'would-be-held' | 'would-fail-corrupt';
  /** The judgement's reason (`holder-dead`, `holder-alive`, `takeover-in-progress`, …). */
  reason: string;
  /** The inspection it is based on. */
  inspection: LockInspection;
}

/**
 * Says what `acquire` would do now, and touches nothing: the dry run
 * (a stale lock another live contender is already taking over is
 * `would-be-held`, `takeover-in-progress`).
 *
 * @param path - the lock file.
 * @param options - as for `inspect`.
 * @returns the plan.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path is a symlink.
 */
export function planAcquire(path: string, options: LockOptions = {}): AcquirePlan {
  const resolved = resolveOptions(path, options);
  const inspection = inspectResolved(resolved);
  let outcome: AcquirePlan['outcome'];
  let reason = inspection.reason;
  switch (inspection.state) {
    case 'free':
      outcome = 'would-acquire';
      break;
    case 'corrupt':
      outcome = 'would-fail-corrupt';
      break;
    case 'held':
      outcome = 'would-be-held';
      break;
    default: {
      const current = readLockFile(resolved.path);
      if (current && takeoverInProgress(resolved, current.key)) {
        outcome = 'would-be-held';
        reason = 'takeover-in-progress';
      } else {
        outcome = 'would-take-over';
      }
    }
  }
  return { outcome, reason, inspection };
}
