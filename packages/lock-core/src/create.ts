import type { ProcessIdentity } from '@runwarden/process-identity';
import {
  assertTokenInRange,
  closeFence,
  nextToken,
  type OpenFence,
  openFence,
  rereadFence,
  writeFence,
} from './fence.js';
import { Handle, type Takeover } from './handle.js';
import { ownBootId } from './holder.js';
import { type CreatedFile, createExclusive, randomId } from './lock-io.js';
import type { ResolvedLockOptions } from './options.js';
import { buildRecord, serialize } from './record.js';
import type { LockRecord } from './schema.js';

/** What {@link createLock} did: took the lock, met a lock that is there, or must be retried. */
export type CreateOutcome = { handle: Handle } | { retry: true } | 'exists';

/**
 * Issues the real fencing token once the lock is ours (only we write the
 * fence now), corrects the body in place if it differs, writes the fence, and
 * starts the heartbeat. On any failure the lock is released again.
 */
function finalize(
  resolved: ResolvedLockOptions,
  record: LockRecord,
  file: CreatedFile,
  guess: OpenFence,
  staleToken: number,
  takeover: Takeover | undefined,
): Handle {
  const handle = new Handle(resolved, record, file, takeover);
  let fence: OpenFence = guess;
  try {
    // While we hold the lock only we write the fence, so this read is exact.
    fence = rereadFence(resolved.path, guess);
    const bootId = ownBootId();
    const token = nextToken(fence.state, bootId, staleToken);
    if (token !== record.fencingToken) handle.rewrite({ ...handle.record, fencingToken: token });
    writeFence(resolved.path, fence, token, bootId);
  } catch (error) {
    closeFence(fence);
    handle.releaseSync();
    throw error;
  }
  handle.start();
  return handle;
}

/**
 * Creates the lock with temp-and-link (README, "Creating a lock"): a
 * provisional token from the fence, the body, `link(2)`; then the real token.
 *
 * @param resolved - the lock's options.
 * @param holder - the identity to record.
 * @param staleToken - the token of the stale lock this replaces, or 0.
 * @param takeover - why and what it replaces, for a takeover.
 * @returns the handle, `'exists'` when a lock is there, or a retry.
 * @throws {LockError} `ERR_LOCK_FENCE_EXHAUSTED`, `ERR_LOCK_IO` or `ERR_LOCK_UNSAFE_PATH`; {@link LockCorruptError} for a corrupt fence.
 */
export function createLock(
  resolved: ResolvedLockOptions,
  holder: ProcessIdentity,
  staleToken: number,
  takeover: Takeover | undefined,
): CreateOutcome {
  const guess = openFence(resolved.path, false);
  const token = nextToken(guess.state, ownBootId(), staleToken);
  try {
    assertTokenInRange(resolved.path, token);
  } catch (error) {
    closeFence(guess);
    throw error;
  }
  const record = buildRecord(resolved, holder, randomId(), token);
  let created: ReturnType<typeof createExclusive>;
  try {
    created = createExclusive(resolved.path, serialize(record), resolved.path, true);
  } catch (error) {
    closeFence(guess);
    throw error;
  }
  if (created === 'retry') {
    closeFence(guess);
    return { retry: true };
  }
  if (typeof created === 'object') {
    return { handle: finalize(resolved, record, created, guess, staleToken, takeover) };
  }
  closeFence(guess);
  return 'exists';
}
