import type { IdentityVerdict } from '@runwarden/process-identity';
import type { LegacyLockRecord, LockRecord } from './schema.js';

/** What a lock file held, once read. Garbage never gets here: it is a `LockCorruptError`. */
export type LockContent =
  /** `mtimeMs`: the file's mtime; the holder's in-place heartbeat moves it too. */
  | { kind: 'record'; record: LockRecord; mtimeMs?: number }
  | { kind: 'legacy'; record: LegacyLockRecord; mtimeMs?: number }
  /** Empty or cut short: the creator may still be writing it, or died between create and write. */
  | { kind: 'incomplete'; mtimeMs: number };

/** The facts {@link judge} decides from, gathered by the caller. */
export interface JudgeFacts {
  /** `verifyIdentity` of the holder (for a LifeOS body: its pid and runner token). Unused for `incomplete`. */
  holder?: IdentityVerdict;
  /** Extra liveness: pids of processes still carrying the holder's run id (`RUNWARDEN_RUN_ID`). */
  orphanPids?: number[];
  /**
   * True when the lock directory is on a filesystem two machines may share (nfs, cifs, 9p,
   * fuse.sshfs, …, or unknown). Needed for foreign holders and LifeOS bodies (which name no machine).
   */
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
   * Why, for people and logs: `holder-alive`, `holder-unknown:<why>`, `orphaned-run`,
   * `foreign-host`, `foreign-host-network-fs`, `legacy-network-fs`, `being-written` (held);
   * `holder-dead`, `holder-reused`, `boot-changed`, `foreign-heartbeat-expired`,
   * `incomplete-abandoned` (stale).
   */
  reason: string;
  /**
   * Age in ms of the newest sign of life: the body's `heartbeatAt` or the file's mtime,
   * whichever is later (the in-place heartbeat moves both); absent when neither is known.
   */
  heartbeatAgeMs?: number;
}

/**
 * The newest sign of life of a lock body, Unix ms: the later of its
 * `heartbeatAt` and the file's mtime (a torn or unparsable `heartbeatAt` can
 * only make the holder look younger, never older, than its mtime says).
 *
 * @param content - what the lock file held.
 * @returns Unix ms, or `undefined` when neither is known.
 */
export function lastSignOfLifeMs(content: LockContent): number | undefined {
  if (content.kind === 'incomplete') return content.mtimeMs;
  const beat = content.kind === 'record' ? Date.parse(content.record.heartbeatAt) : Number.NaN;
  const candidates = [beat, content.mtimeMs ?? Number.NaN].filter(Number.isFinite);
  return candidates.length > 0 ? Math.max(...candidates) : undefined;
}

/**
 * Decides whether a lock is held or stale: stale only on proof, held on any
 * doubt (fail closed). A pure function of plain data; the rules, in order:
 *
 * 1. empty or cut-short file → stale after `incompleteGraceMs` from its mtime, held before;
 * 2. holder `alive` → held, whatever the heartbeat says;
 * 3. holder `unknown` (EPERM, unreadable, not verified) → held;
 * 4. holder on another machine (or pid namespace): its pid is never probed;
 *    on a network filesystem → held; stale only when the caller opted in
 *    (`foreignHostTakeover`) and the heartbeat is older than `staleAfterMs`
 *    (the larger of the caller's and the one the holder recorded);
 * 5. a LifeOS body (no machine recorded) on a network filesystem → held, unless alive;
 * 6. holder `dead` or `reused` on this machine, or a lock from before a reboot → stale,
 *    unless processes of its run are still alive (`orphaned-run`, held).
 *
 * @param content - what the lock file held.
 * @param facts - the holder's identity verdict and the caller's settings.
 * @param nowMs - the current time, Unix ms.
 * @returns held or stale, why, and the heartbeat age.
 */
export function judge(content: LockContent, facts: JudgeFacts, nowMs: number): Judgement {
  if (content.kind === 'incomplete') {
    return nowMs - content.mtimeMs > facts.incompleteGraceMs
      ? { state: 'stale', reason: 'incomplete-abandoned' }
      : { state: 'held', reason: 'being-written' };
  }
  const lastSign = lastSignOfLifeMs(content);
  const heartbeatAgeMs = lastSign === undefined ? undefined : Math.max(0, nowMs - lastSign);
  const withAge = (judgement: Judgement): Judgement =>
    heartbeatAgeMs === undefined ? judgement : { ...judgement, heartbeatAgeMs };
  const verdict = facts.holder ?? { status: 'unknown', reason: 'not-verified' };
  switch (verdict.status) {
    case 'alive':
      return withAge({ state: 'held', reason: 'holder-alive' });
    case 'unknown':
      return withAge({ state: 'held', reason: `holder-unknown:${verdict.reason}` });
    case 'foreign-host': {
      if (facts.networkFilesystem)
        return withAge({ state: 'held', reason: 'foreign-host-network-fs' });
      // The holder beats every (its staleAfterMs) / 3: never judge it by a shorter window.
      const windowMs = Math.max(
        facts.staleAfterMs,
        content.kind === 'record' ? (content.record.staleAfterMs ?? 0) : 0,
      );
      if (facts.foreignHostTakeover && heartbeatAgeMs !== undefined && heartbeatAgeMs > windowMs) {
        return withAge({ state: 'stale', reason: 'foreign-heartbeat-expired' });
      }
      return withAge({ state: 'held', reason: 'foreign-host' });
    }
    case 'dead':
    case 'reused': {
      if (content.kind === 'legacy' && facts.networkFilesystem) {
        return withAge({ state: 'held', reason: 'legacy-network-fs' });
      }
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
