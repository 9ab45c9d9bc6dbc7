import { renameSync } from 'node:fs';
import { claimantOf } from './claim-chain.js';
import { LockCorruptError } from './errors.js';
import { gatherFacts } from './facts.js';
import { heldError } from './held-error.js';
import { ownIdentity } from './holder.js';
import { judge } from './judge.js';
import { type ReadLock, readLockFile } from './lock-file.js';
import { putBack } from './lock-io.js';
import { type BreakLockOptions, type ResolvedLockOptions, resolveOptions } from './options.js';
import { retireGeneration } from './retire-generation.js';

/** What {@link breakLock} did. */
export interface BreakLockResult {
  /** What was done. */
  action: 'none' | 'removed-stale' | 'moved-corrupt';
  /** Where a corrupt file was moved, so nothing is lost. */
  movedTo?: string;
  /** Why: the judgement's reason, `corrupt`, `no-lock-file`, `changed`, `takeover-in-progress` or `dry-run`. */
  reason: string;
  /** With `dryRun`: what a real call would have done. */
  wouldDo?: 'removed-stale' | 'moved-corrupt' | 'none';
}

/** Moves a corrupt lock to `<path>.corrupt-<time>`; what was moved must be the garbage read, else it goes back. */
function moveCorruptAside(resolved: ResolvedLockOptions): BreakLockResult {
  const movedTo = `${resolved.path}.corrupt-${new Date(resolved.now()).toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(resolved.path, movedTo);
  } catch (renameError) {
    if ((renameError as NodeJS.ErrnoException).code === 'ENOENT')
      return { action: 'none', reason: 'changed' };
    throw renameError;
  }
  // What we moved must be the garbage we read: a valid lock goes back.
  let valid = false;
  try {
    valid = readLockFile(movedTo) !== null;
  } catch {
    valid = false;
  }
  if (valid) {
    putBack(movedTo, resolved.path);
    return { action: 'none', reason: 'changed' };
  }
  return { action: 'moved-corrupt', movedTo, reason: 'corrupt' };
}

/**
 * Clears a lock that no live holder has: a stale lock is removed (through the
 * same claim as a takeover, `retireGeneration`, so exactly one breaker acts,
 * and its fencing token is kept in the fence), a corrupt one is moved aside to
 * `<path>.corrupt-<time>` (never deleted). A held lock is left alone.
 *
 * @param path - the lock file.
 * @param options - as for `inspect`; `dryRun` reports `wouldDo` and touches nothing.
 * @returns what was done.
 * @throws {LockHeldError} when a live holder (or live orphans) still has it.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` for a symlink, `ERR_LOCK_IO` when the lock cannot be moved.
 */
export async function breakLock(
  path: string,
  options: BreakLockOptions = {},
): Promise<BreakLockResult> {
  const resolved = resolveOptions(path, options);
  let current: ReadLock | null;
  try {
    current = readLockFile(resolved.path);
  } catch (error) {
    if (!LockCorruptError.isInstance(error)) throw error;
    if (options.dryRun) return { action: 'none', reason: 'dry-run', wouldDo: 'moved-corrupt' };
    return moveCorruptAside(resolved);
  }
  if (!current) return { action: 'none', reason: 'no-lock-file', wouldDo: 'none' };
  const facts = gatherFacts(current.content, resolved);
  const judgement = judge(current.content, facts, resolved.now());
  if (judgement.state === 'held')
    throw heldError(resolved.path, current.content, judgement, facts.orphanPids);
  if (options.dryRun) return { action: 'none', reason: 'dry-run', wouldDo: 'removed-stale' };
  const outcome = retireGeneration(resolved, current, claimantOf(options.holder ?? ownIdentity()), {
    onRetired: () => undefined,
  });
  switch (outcome.status) {
    case 'busy':
      return { action: 'none', reason: 'takeover-in-progress' };
    case 'retired':
      return { action: 'removed-stale', reason: judgement.reason };
    default:
      return { action: 'none', reason: 'changed' };
  }
}
