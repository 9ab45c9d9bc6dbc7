import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import type { IdentityVerdict } from '@runwarden/process-identity';
import { filesystemOf } from './filesystem.js';
import { verifyHolder, verifyLegacyHolder } from './holder.js';
import type { JudgeFacts, LockContent } from './judge.js';
import type { ResolvedLockOptions } from './options.js';

/** What the I/O layer learned for `judge`, plus what the caller reports. */
export type Facts = JudgeFacts & {
  /** Processes still carrying a dead holder's run id (`orphansOf`). */
  orphanPids: number[];
  /** The lock directory's filesystem, when it mattered. */
  filesystem?: { kind: 'local' | 'network' | 'unknown'; fsType: string };
};

function filesystemOfLock(path: string): { kind: 'local' | 'network' | 'unknown'; fsType: string } {
  let real = dirname(path);
  try {
    real = realpathSync(real);
  } catch {
    // not there yet: classify the path as given
  }
  return filesystemOf(real);
}

/**
 * Gathers the facts a judgement needs: the holder's identity verdict, its
 * orphans (only for a dead or reused holder), and the filesystem (only for a
 * foreign or LifeOS holder, where it decides).
 *
 * @param content - what the lock file holds.
 * @param resolved - the lock's options.
 * @returns the facts.
 */
export function gatherFacts(content: LockContent, resolved: ResolvedLockOptions): Facts {
  let holder: IdentityVerdict | undefined;
  let orphanPids: number[] = [];
  if (content.kind === 'record') {
    holder = verifyHolder(content.record.holder, content.record.pidNamespace);
    if ((holder.status === 'dead' || holder.status === 'reused') && resolved.options.orphansOf) {
      orphanPids = resolved.options.orphansOf(content.record);
    }
  } else if (content.kind === 'legacy') {
    holder = verifyLegacyHolder(content.record);
  }
  const needsFilesystem =
    (content.kind === 'record' && holder?.status === 'foreign-host') ||
    (content.kind === 'legacy' && holder?.status !== 'alive');
  const filesystem = needsFilesystem ? filesystemOfLock(resolved.path) : undefined;
  const facts: Facts = {
    holder,
    orphanPids,
    networkFilesystem: filesystem ? filesystem.kind !== 'local' : false,
    foreignHostTakeover: resolved.options.foreignHostTakeover ?? false,
    staleAfterMs: resolved.staleAfterMs,
    incompleteGraceMs: resolved.incompleteGraceMs,
  };
  if (filesystem) facts.filesystem = filesystem;
  return facts;
}
