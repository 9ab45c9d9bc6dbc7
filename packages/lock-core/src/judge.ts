import type { IdentityVerdict } from '@runwarden/process-identity';
import type { LegacyLockRecord, LockRecord } from './schema.js';

/** What a lock file held, once read. Garbage never gets here: it is a `LockCorruptError`. */
export type LockContent =
  | { kind: 'record'; record: LockRecord }
  | { kind: 'legacy'; record: LegacyLockRecord }
  /** Empty or cut short: the creator may still be writing it, or died between create and write. */
  | { kind: 'incomplete'; mtimeMs: number };

/** The facts {@link judge} decides from, gathered by the caller. */
export interface JudgeFacts {
  /** `verifyIdentity` of the holder (for a LifeOS body: its pid and runner token). Unused for `incomplete`. */
  holder?: IdentityVerdict;
  /** Extra liveness: pids of processes still carrying the holder's run id (`RUNWARDEN_RUN_ID`). */
  orphanPids?: number[];
  /** True when the lock directory is on a filesystem two machines may share (nfs, cifs, 9p, fuse.sshfs, …, or unknown). */
  networkFilesystem: boolean;
  /** The caller opted in to taking over a foreign host's lock whose heartbeat is older than `staleAfterMs`. */
  foreignHostTakeover: boolean;
  /** Stale window for foreign holders, in ms. */
  staleAfterMs: number;
  /** How long an incomplete file is given to be written, in ms. */
  incompleteGraceMs: number;
}

/** The verdict of {@link judge}. */
export interface Judgement {
  state: 'held' | 'stale';
  /**
   * Why, for people and logs: `holder-alive`, `holder-unknown`, `orphaned-run`,
   * `foreign-host`, `foreign-host-network-fs`, `being-written` (held); `holder-dead`,
   * `holder-reused`, `boot-changed`, `foreign-heartbeat-expired`,
   * `incomplete-abandoned` (stale).
   */
  reason: string;
  /** Heartbeat age in ms, when the body has one. */
  heartbeatAgeMs?: number;
}

/**
 * Decides whether a lock is held or stale: stale only on proof, held on any
 * doubt (fail closed). A pure function of plain data; see the package README
 * for the table.
 *
 * @param content - what the lock file held.
 * @param facts - the holder's identity verdict and the caller's settings.
 * @param nowMs - the current time, Unix ms.
 */
export function judge(content: LockContent, facts: JudgeFacts, nowMs: number): Judgement {
  if (content.kind === 'incomplete') {
    return nowMs - content.mtimeMs > facts.incompleteGraceMs
      ? { state: 'stale', reason: 'incomplete-abandoned' }
      : { state: 'held', reason: 'being-written' };
  }
  const heartbeatAgeMs =
    content.kind === 'record'
      ? Math.max(0, nowMs - Date.parse(content.record.heartbeatAt))
      : undefined;
  const withAge = (judgement: Judgement): Judgement =>
    heartbeatAgeMs === undefined || Number.isNaN(heartbeatAgeMs)
      ? judgement
      : { ...judgement, heartbeatAgeMs };
  const verdict = facts.holder ?? { status: 'unknown', reason: 'not-verified' };
  switch (verdict.status) {
    case 'alive':
      return withAge({ state: 'held', reason: 'holder-alive' });
    case 'unknown':
      return withAge({ state: 'held', reason: `holder-unknown:${verdict.reason}` });
    case 'foreign-host': {
      if (facts.networkFilesystem)
        return withAge({ state: 'held', reason: 'foreign-host-network-fs' });
      if (
        facts.foreignHostTakeover &&
        heartbeatAgeMs !== undefined &&
        heartbeatAgeMs > facts.staleAfterMs
      ) {
        return withAge({ state: 'stale', reason: 'foreign-heartbeat-expired' });
      }
      return withAge({ state: 'held', reason: 'foreign-host' });
    }
    case 'dead':
    case 'reused': {
      if (facts.orphanPids && facts.orphanPids.length > 0) {
        return withAge({ state: 'held', reason: 'orphaned-run' });
      }
      if (verdict.reason === 'boot-changed')
        return withAge({ state: 'stale', reason: 'boot-changed' });
      return withAge({
        state: 'stale',
        reason: verdict.status === 'dead' ? 'holder-dead' : 'holder-reused',
      });
    }
  }
}
