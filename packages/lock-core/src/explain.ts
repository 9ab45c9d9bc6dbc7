import type { IdentityVerdict } from '@runwarden/process-identity';
import type { LegacyLockRecord, LockRecord } from './schema.js';

/** What an inspection says about a lock, and all {@link explain} needs of it besides the windows. */
export interface InspectionCore {
  /** `free` (no file), `held`, `stale` (the next acquire takes it over) or `corrupt`. */
  state: 'free' | 'held' | 'stale' | 'corrupt';
  /** Why: the judgement's reason, `no-lock-file`, or the corrupt detail. */
  reason: string;
  /** The runwarden body, when it is one. */
  holder?: LockRecord;
  /** The LifeOS `runner_lock.py` body, when it is one. */
  legacyHolder?: LegacyLockRecord;
  /** The holder's identity verdict. */
  holderVerdict?: IdentityVerdict;
  /** Age in ms of the holder's newest heartbeat (body or file mtime). */
  heartbeatAgeMs?: number;
  /** Processes still carrying the holder's run id. */
  orphanPids?: number[];
  /** The lock directory's filesystem, when it mattered (foreign or LifeOS holders). */
  filesystem?: { kind: 'local' | 'network' | 'unknown'; fsType: string };
}

/** What {@link explain} needs: an inspection and the windows the judge used. */
export interface ExplainInput extends InspectionCore {
  /** The stale window in ms the judge used. */
  staleAfterMs: number;
  /** The grace in ms of an incomplete file. */
  incompleteGraceMs: number;
}

function who(input: ExplainInput): string {
  if (input.holder) {
    const run = input.holder.runId ? `, run ${input.holder.runId}` : '';
    return `pid ${input.holder.holder.pid} on ${input.holder.holder.hostname}${run}`;
  }
  if (input.legacyHolder) {
    return `pid ${input.legacyHolder.pid} (LifeOS runner ${input.legacyHolder.runner_token})`;
  }
  return 'an unknown holder';
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? 'unknown' : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One sentence for people on why a lock is in its state, so a guard that
 * holds for any reason other than a live holder is never silent (the
 * `explanation` of `inspect`).
 *
 * @param input - the inspection's facts.
 * @returns the sentence.
 */
export function explain(input: ExplainInput): string {
  const holder = who(input);
  const verdict = input.holderVerdict?.reason ?? 'not checked';
  const reason = input.reason;
  if (input.state === 'free') return 'No lock file: the lock is free.';
  if (input.state === 'corrupt') return reason;
  if (reason === 'holder-alive') {
    return `Held by ${holder}, which is alive (last heartbeat ${seconds(input.heartbeatAgeMs)} ago).`;
  }
  if (reason.startsWith('holder-unknown')) {
    return `Held: ${holder} could not be checked (${verdict}); a lock is taken over only on proof that its holder is gone.`;
  }
  if (reason === 'orphaned-run') {
    return `Held: ${holder} is gone, but processes of its run are still alive (${(input.orphanPids ?? []).join(', ')}); end them (runwarden kill --force) before another run starts.`;
  }
  if (reason === 'foreign-host-network-fs') {
    return `Held by ${holder} on another machine or pid namespace (${verdict}); the lock directory is on ${input.filesystem?.fsType ?? 'a shared filesystem'}, which machines may share, so it is never taken over from here.`;
  }
  if (reason === 'foreign-host') {
    return `Held by ${holder} on another machine or pid namespace (${verdict}); its pid cannot be checked from here. Last heartbeat ${seconds(input.heartbeatAgeMs)} ago; with foreignHostTakeover it is taken over once that passes ${seconds(input.staleAfterMs)}.`;
  }
  if (reason === 'legacy-network-fs') {
    return `Held: the LifeOS lock of ${holder} names no machine and the lock directory is on ${input.filesystem?.fsType ?? 'a shared filesystem'}, so its pid cannot be checked from here; remove it by hand when no runner uses it.`;
  }
  if (reason === 'being-written') {
    return `Held: the lock file is empty or cut short, as while its creator writes it; it is given ${seconds(input.incompleteGraceMs)} from its last change.`;
  }
  if (reason === 'takeover-in-progress') {
    return `Stale, and another process is taking it over right now.`;
  }
  const why: Record<string, string> = {
    'holder-dead': `${holder} is gone (${verdict})`,
    'holder-reused': `the pid of ${holder} now belongs to another process (${verdict})`,
    'boot-changed': `${holder} held it before the machine rebooted`,
    'foreign-heartbeat-expired': `${holder} on another machine has not beaten for ${seconds(input.heartbeatAgeMs)}, past ${seconds(input.staleAfterMs)}, and foreign takeover is allowed`,
    'incomplete-abandoned': `the lock file is empty or cut short and unchanged for longer than ${seconds(input.incompleteGraceMs)}`,
  };
  const detail = why[reason] ?? reason;
  return input.state === 'stale'
    ? `Stale: ${detail}; the next acquire takes it over.`
    : `Held: ${detail}.`;
}
