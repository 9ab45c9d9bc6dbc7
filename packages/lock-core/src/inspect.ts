import { LockCorruptError } from './errors.js';
import { explain, type InspectionCore } from './explain.js';
import { gatherFacts } from './facts.js';
import { judge } from './judge.js';
import { type ReadLock, readLockFile } from './lock-file.js';
import { type LockOptions, type ResolvedLockOptions, resolveOptions } from './options.js';

/** The result of {@link inspect}. */
export interface LockInspection extends InspectionCore {
  /** Absolute path of the lock file. */
  path: string;
  /** One sentence for people saying why, in every state (see `explain`). */
  explanation: string;
  /** The corrupt error, when `state` is `corrupt`. */
  error?: LockCorruptError;
}

/**
 * {@link inspect} on resolved options (`planAcquire` shares it).
 *
 * @param resolved - the lock's options.
 * @returns the inspection.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path is a symlink.
 */
export function inspectResolved(resolved: ResolvedLockOptions): LockInspection {
  const context = {
    staleAfterMs: resolved.staleAfterMs,
    incompleteGraceMs: resolved.incompleteGraceMs,
  };
  let current: ReadLock | null;
  try {
    current = readLockFile(resolved.path);
  } catch (error) {
    if (LockCorruptError.isInstance(error)) {
      return {
        state: 'corrupt',
        path: resolved.path,
        reason: error.message,
        explanation: error.message,
        error,
      };
    }
    throw error;
  }
  if (!current) {
    return {
      state: 'free',
      path: resolved.path,
      reason: 'no-lock-file',
      explanation: explain({ state: 'free', reason: 'no-lock-file', ...context }),
    };
  }
  const facts = gatherFacts(current.content, resolved);
  const judgement = judge(current.content, facts, resolved.now());
  const result: LockInspection = {
    state: judgement.state,
    path: resolved.path,
    reason: judgement.reason,
    explanation: '',
  };
  if (current.content.kind === 'record') result.holder = current.content.record;
  if (current.content.kind === 'legacy') result.legacyHolder = current.content.record;
  if (facts.holder) result.holderVerdict = facts.holder;
  if (judgement.heartbeatAgeMs !== undefined) result.heartbeatAgeMs = judgement.heartbeatAgeMs;
  if (facts.orphanPids.length > 0) result.orphanPids = facts.orphanPids;
  if (facts.filesystem) result.filesystem = facts.filesystem;
  result.explanation = explain({ ...result, ...context });
  return result;
}

/**
 * Reports the lock's state without touching it: `free`, `held` (with why, in
 * `reason` and in a sentence in `explanation`, whenever the reason is not a
 * live holder), `stale` (a takeover would happen), or `corrupt`.
 *
 * @param path - the lock file.
 * @param options - `orphansOf`, `staleAfterMs`, `foreignHostTakeover`, `incompleteGraceMs`, `now`.
 * @returns the inspection.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path is a symlink.
 */
export function inspect(path: string, options: LockOptions = {}): LockInspection {
  return inspectResolved(resolveOptions(path, options));
}
