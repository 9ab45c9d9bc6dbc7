import { dirname } from 'node:path';
import type { ProcessIdentity } from '@runwarden/process-identity';
import { claimantOf } from './claim-chain.js';
import { createLock } from './create.js';
import { LockError, LockHeldError } from './errors.js';
import { type Facts, gatherFacts } from './facts.js';
import type { Handle } from './handle.js';
import { heldError, takeoverBusy } from './held-error.js';
import { ownIdentity } from './holder.js';
import { type Judgement, judge } from './judge.js';
import { collectLeftovers } from './leftovers.js';
import { probeFor } from './liveness-probe.js';
import { type ReadLock, readLockFile } from './lock-file.js';
import { ensurePrivateDir } from './lock-io.js';
import { type LockOptions, type ResolvedLockOptions, resolveOptions } from './options.js';
import { tokenOf } from './record.js';
import { retireGeneration } from './retire-generation.js';

/** A lock found held: the error to throw, and what a waiter may watch for. */
export interface HeldAttempt {
  held: LockHeldError;
  /** True when the reason it is held may have gone (a cheap check to poll). */
  probe?: () => boolean;
  /** Unix ms when the judgement changes by itself (an incomplete file's grace ends). */
  changesAtMs?: number;
}

/** One attempt at the lock: taken, held, or to be retried at once (it changed under us). */
export type Attempt = { handle: Handle } | HeldAttempt | { retry: true };

/** How often (ms, per lock path and process) an attempt first collects leftovers. */
const COLLECT_EVERY_MS = 30_000;

function heldAttempt(
  resolved: ResolvedLockOptions,
  current: ReadLock,
  judgement: Judgement,
  facts: Facts,
): HeldAttempt {
  const attempt: HeldAttempt = {
    held: heldError(resolved.path, current.content, judgement, facts.orphanPids),
  };
  const probe = probeFor(current.content, judgement);
  if (probe) attempt.probe = probe;
  if (current.content.kind === 'incomplete') {
    attempt.changesAtMs = current.content.mtimeMs + resolved.incompleteGraceMs + 1;
  }
  return attempt;
}

function takeOver(
  resolved: ResolvedLockOptions,
  holder: ProcessIdentity,
  current: ReadLock,
  judgement: Judgement,
): Attempt {
  const outcome = retireGeneration(resolved, current, claimantOf(holder), {
    // A foreign holder that beat meanwhile keeps its lock.
    keep:
      judgement.reason === 'foreign-heartbeat-expired'
        ? (moved) => {
            const facts = gatherFacts(moved.content, resolved);
            const again = judge(moved.content, facts, resolved.now());
            return again.state === 'held' ? heldAttempt(resolved, moved, again, facts) : undefined;
          }
        : undefined,
    onRetired: (): Attempt => {
      const created = createLock(resolved, holder, tokenOf(current.content), {
        reason: judgement.reason,
        previous: current.content,
      });
      // 'exists': a plain acquirer created the lock in the gap, fairly; judge it next round.
      return created === 'exists' ? { retry: true } : created;
    },
  });
  switch (outcome.status) {
    case 'busy':
      return { held: takeoverBusy(resolved.path, judgement.reason, outcome.claimant) };
    case 'changed':
      return { retry: true };
    default:
      return outcome.value;
  }
}

const lastCollected = new Map<string, number>();

function collectNowAndThen(resolved: ResolvedLockOptions): void {
  const now = performance.now();
  const last = lastCollected.get(resolved.path);
  if (last !== undefined && now - last < COLLECT_EVERY_MS) return;
  lastCollected.set(resolved.path, now);
  collectLeftovers(resolved.path, { nowMs: resolved.now(), ageMs: resolved.incompleteGraceMs });
}

function attemptOnce(
  resolved: ResolvedLockOptions,
  holder: ProcessIdentity,
  readFirst: boolean,
): Attempt {
  let ioFailure: unknown;
  // A waiter that found the lock held looks before it writes a body it may not need.
  let current = readFirst ? readLockFile(resolved.path) : null;
  if (!current) {
    try {
      const created = createLock(resolved, holder, 0, undefined);
      if (created !== 'exists') return created;
    } catch (error) {
      // Cannot create (read-only directory, disk full): a live holder is the better answer.
      if (!LockError.isInstance(error) || error.code !== 'ERR_LOCK_IO') throw error;
      ioFailure = error;
    }
    current = readLockFile(resolved.path);
  }
  if (!current) {
    if (ioFailure) throw ioFailure;
    return { retry: true };
  }
  const facts = gatherFacts(current.content, resolved);
  const judgement = judge(current.content, facts, resolved.now());
  if (judgement.state === 'held') return heldAttempt(resolved, current, judgement, facts);
  if (ioFailure) throw ioFailure;
  return takeOver(resolved, holder, current, judgement);
}

/**
 * Resolves the options and makes the lock directory private (0700), once per call.
 *
 * @param path - the lock file.
 * @param options - the caller's options.
 * @returns the resolved options and the holder to record.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` or `ERR_LOCK_IO` for the directory.
 */
export function prepare(
  path: string,
  options: LockOptions,
): { resolved: ResolvedLockOptions; holder: ProcessIdentity } {
  const resolved = resolveOptions(path, options);
  ensurePrivateDir(dirname(resolved.path), resolved.path);
  return { resolved, holder: options.holder ?? ownIdentity() };
}

/**
 * Takes the lock now or learns it is held, never waiting: creates it, or
 * takes over a stale one, retrying at once (up to 32 times) while it changes
 * hands under us.
 *
 * @param resolved - the lock's options.
 * @param holder - the identity to record.
 * @param readFirst - look before writing a body (a waiter that found it held).
 * @returns the handle or the held attempt; never a retry.
 * @throws {LockCorruptError} for a corrupt lock or fence; {@link LockError} `ERR_LOCK_IO`, `ERR_LOCK_UNSAFE_PATH`, `ERR_LOCK_FENCE_EXHAUSTED`.
 */
export function tryOnce(
  resolved: ResolvedLockOptions,
  holder: ProcessIdentity,
  readFirst = false,
): { handle: Handle } | HeldAttempt {
  collectNowAndThen(resolved);
  for (let spin = 0; spin < 32; spin++) {
    const result = attemptOnce(resolved, holder, readFirst && spin === 0);
    if (!('retry' in result)) return result;
  }
  return {
    held: new LockHeldError({
      path: resolved.path,
      reason: 'contended',
      message: `Lock ${resolved.path} changed hands too often to take.`,
      hint: 'Retry.',
    }),
  };
}
