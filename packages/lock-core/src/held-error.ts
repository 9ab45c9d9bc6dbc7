import { LockHeldError } from './errors.js';
import type { ClaimRecord } from './holder.js';
import type { Judgement, LockContent } from './judge.js';

/**
 * Names a lock's holder for people: pid, host and run, a LifeOS holder's pid
 * and token, or "a holder still writing the file".
 *
 * @param content - what the lock file holds.
 * @returns a phrase.
 */
export function describeHolder(content: LockContent): string {
  if (content.kind === 'record') {
    const run = content.record.runId ? ` (run ${content.record.runId})` : '';
    return `pid ${content.record.holder.pid} on ${content.record.holder.hostname}${run}`;
  }
  if (content.kind === 'legacy')
    return `pid ${content.record.pid} (${content.record.runner_token})`;
  return 'a holder still writing the file';
}

/**
 * The error for a lock judged held: who holds it, why, and what to do.
 *
 * @param path - the lock file.
 * @param content - what it holds.
 * @param judgement - the judgement that found it held.
 * @param orphanPids - live processes of a dead holder's run.
 * @returns the error.
 */
export function heldError(
  path: string,
  content: LockContent,
  judgement: Judgement,
  orphanPids: number[],
): LockHeldError {
  const orphans =
    orphanPids.length > 0 ? `; its run's processes are still alive: ${orphanPids.join(', ')}` : '';
  return new LockHeldError({
    path,
    reason: judgement.reason,
    holder: content.kind === 'record' ? content.record : undefined,
    message: `Lock ${path} is held by ${describeHolder(content)} (${judgement.reason}${orphans}).`,
    hint:
      judgement.reason === 'orphaned-run'
        ? 'End the orphaned processes (runwarden kill --force) before starting another run.'
        : 'Wait for it to finish, or stop it with `runwarden kill`.',
  });
}

/**
 * The error for a stale lock another live contender is taking over.
 *
 * @param path - the lock file.
 * @param reason - why the lock is stale.
 * @param claimant - the contender, when its claim could be read.
 * @returns the error (`reason: 'takeover-in-progress'`).
 */
export function takeoverBusy(path: string, reason: string, claimant?: ClaimRecord): LockHeldError {
  return new LockHeldError({
    path,
    reason: 'takeover-in-progress',
    message: `Lock ${path} is stale (${reason}) and another process is taking it over${claimant ? ` (pid ${claimant.pid})` : ''}.`,
    hint: 'Retry in a moment.',
  });
}
