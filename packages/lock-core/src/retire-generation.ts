import { claimGeneration } from './claim-chain.js';
import { failpoint } from './failpoint.js';
import { closeFence, nextToken, openFence, writeFence } from './fence.js';
import { type ClaimRecord, ownBootId } from './holder.js';
import { collectLeftovers } from './leftovers.js';
import { type ReadLock, readLockFile } from './lock-file.js';
import { moveAside, putBack, removeQuietly } from './lock-io.js';
import type { ResolvedLockOptions } from './options.js';
import { tokenOf } from './record.js';

/** The steps a caller adds to {@link retireGeneration}. */
export interface RetireSteps<Kept, Done> {
  /**
   * Called with what was moved aside once it is proven to be the generation
   * claimed: a value other than `undefined` puts it back (a foreign holder
   * that beat meanwhile keeps its lock) and is returned as `kept`.
   * @default keep nothing
   */
  keep?: (moved: ReadLock) => Kept | undefined;
  /** Runs once the generation is gone, while the claim is still held. */
  onRetired: () => Done;
}

/** What {@link retireGeneration} did. */
export type RetireOutcome<Kept, Done> =
  /** A live contender holds the claim on this generation. */
  | { status: 'busy'; claimant?: ClaimRecord }
  /** The lock is no longer this generation (released, replaced, gone): start over. */
  | { status: 'changed' }
  /** `keep` asked to keep it: it was put back. */
  | { status: 'kept'; value: Kept }
  /** The generation is gone (its token kept in the fence) and `onRetired` ran. */
  | { status: 'retired'; value: Done };

/**
 * Removes generation `current.key` of a stale lock, race-free, the one
 * sequence behind both a takeover and `breakLock` (README, "Race-free
 * takeover"): claim the generation, re-read the lock, raise the fence to its
 * token, move it aside, verify what was moved, and put back what is not it.
 * The claim and any leftovers are cleared afterwards, whatever happened.
 *
 * @param resolved - the lock's options.
 * @param current - the stale lock as judged.
 * @param me - the claim's body.
 * @param steps - the caller's `keep` check and what to do once it is gone.
 * @returns the outcome.
 * @throws {LockError} `ERR_LOCK_IO` when the lock cannot be moved; {@link LockCorruptError} for a corrupt fence.
 */
export function retireGeneration<Kept, Done>(
  resolved: ResolvedLockOptions,
  current: ReadLock,
  me: ClaimRecord,
  steps: RetireSteps<Kept, Done>,
): RetireOutcome<Kept, Done> {
  const { path } = resolved;
  const claim = claimGeneration(resolved, current.key, me);
  if (claim === 'retry') return { status: 'changed' };
  if (!claim.won) {
    return claim.claimant ? { status: 'busy', claimant: claim.claimant } : { status: 'busy' };
  }
  failpoint('after-claim');
  try {
    // We are the one live claimant of generation K: nobody else moves it.
    const again = readLockFile(path);
    if (!again || again.key !== current.key) return { status: 'changed' };
    // The stale token must outlive the stale file: raise the fence first, so
    // whoever creates the next lock (us or a plain acquirer) issues a higher one.
    const fence = openFence(path, true);
    const bootId = ownBootId();
    const floor = nextToken(fence.state, bootId, tokenOf(current.content)) - 1;
    if (!fence.state || floor > fence.state.fencingToken || fence.state.bootId !== bootId) {
      writeFence(path, fence, floor, bootId);
    } else {
      closeFence(fence);
    }
    const aside = moveAside(path, path);
    if (!aside) return { status: 'changed' };
    let moved: ReadLock | null = null;
    try {
      moved = readLockFile(aside);
    } catch {
      moved = null;
    }
    if (!moved || moved.key !== current.key) {
      // Not generation K (it was released and a fresh lock appeared): put it back.
      putBack(aside, path);
      return { status: 'changed' };
    }
    const kept = steps.keep?.(moved);
    if (kept !== undefined) {
      putBack(aside, path);
      return { status: 'kept', value: kept };
    }
    removeQuietly(aside);
    return { status: 'retired', value: steps.onRetired() };
  } finally {
    removeQuietly(claim.claimPath);
    collectLeftovers(path, { nowMs: resolved.now(), ageMs: resolved.incompleteGraceMs });
  }
}
