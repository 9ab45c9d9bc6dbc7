import { getHostFacts } from '@runwarden/process-identity';
import { readProcStat } from '@runwarden/process-identity/internal';
import { ownPidNamespace, verifyLegacyHolder } from './holder.js';
import type { Judgement, LockContent } from './judge.js';

/**
 * A cheap check that the holder in `content` may be gone: one read of its
 * /proc stat line (pid, start ticks, zombie). Only for a holder of this boot,
 * machine and pid namespace; others get no probe (their waiters back off).
 *
 * @param content - what the lock file holds.
 * @returns the probe (true: the holder may be gone), or `undefined`.
 */
export function livenessProbe(content: LockContent): (() => boolean) | undefined {
  if (content.kind === 'record') {
    const { holder, pidNamespace } = content.record;
    const host = getHostFacts();
    const mine = ownPidNamespace();
    if (holder.machineId !== host.machineId || holder.bootId !== host.bootId) return undefined;
    if (pidNamespace !== undefined && mine !== undefined && pidNamespace !== mine) return undefined;
    const { pid, startTicks } = holder;
    return () => {
      const stat = readProcStat(pid);
      return !stat || stat.state === 'Z' || stat.state === 'X' || stat.startTicks !== startTicks;
    };
  }
  if (content.kind === 'legacy') {
    const record = content.record;
    return () => verifyLegacyHolder(record).status !== 'alive';
  }
  return undefined;
}

/**
 * The probe for a lock judged held, when the reason is a live holder that may die.
 *
 * @param content - what the lock file holds.
 * @param judgement - why it is held.
 * @returns the probe, or `undefined`.
 */
export function probeFor(content: LockContent, judgement: Judgement): (() => boolean) | undefined {
  return judgement.reason === 'holder-alive' ? livenessProbe(content) : undefined;
}
