import { dirname } from 'node:path';
import type { ProcessIdentity } from '@runwarden/process-identity';
import { LOCK_DEFAULTS } from './defaults.js';
import { ownPidNamespace } from './holder.js';
import type { LockContent } from './judge.js';
import type { ResolvedLockOptions } from './options.js';
import { LOCK_SCHEMA_VERSION, type LockRecord } from './schema.js';

/**
 * The body a new holder writes: both times now, its nonce and its
 * (provisional) fencing token.
 *
 * @param resolved - the lock's options.
 * @param holder - the identity to record.
 * @param nonce - this acquisition's nonce.
 * @param fencingToken - the token to record.
 * @returns the record.
 */
export function buildRecord(
  resolved: ResolvedLockOptions,
  holder: ProcessIdentity,
  nonce: string,
  fencingToken: number,
): LockRecord {
  const nowIso = new Date(resolved.now()).toISOString();
  const record: LockRecord = {
    schemaVersion: LOCK_SCHEMA_VERSION,
    runnerToken: resolved.options.runnerToken ?? LOCK_DEFAULTS.runnerToken,
    repoMarker: resolved.options.repoMarker ?? dirname(resolved.path),
    holder,
    acquiredAt: nowIso,
    heartbeatAt: nowIso,
    nonce,
    fencingToken,
    staleAfterMs: resolved.staleAfterMs,
  };
  if (resolved.options.runId !== undefined) record.runId = resolved.options.runId;
  const pidNamespace = resolved.options.holder ? undefined : ownPidNamespace();
  if (pidNamespace !== undefined) record.pidNamespace = pidNamespace;
  return record;
}

/** Width the fencing token is padded to, so it can be corrected in place. */
const TOKEN_WIDTH = 16;

/**
 * The body as written: JSON, with the fencing token padded by spaces (valid
 * JSON whitespace) so every rewrite of a holder's own file (heartbeat, token
 * correction) keeps its length and is one pwrite(2) in place.
 *
 * @param record - the body.
 * @returns its text, ending in a newline.
 */
export function serialize(record: LockRecord): string {
  const text = JSON.stringify(record, null, 2).replace(
    /"fencingToken": (\d+)/,
    (_, digits: string) =>
      `"fencingToken": ${digits}${' '.repeat(Math.max(0, TOKEN_WIDTH - digits.length))}`,
  );
  return `${text}\n`;
}

/**
 * The fencing token a lock's content carries (0 for LifeOS or incomplete bodies).
 *
 * @param content - what the lock file holds.
 * @returns the token.
 */
export function tokenOf(content: LockContent): number {
  return content.kind === 'record' ? content.record.fencingToken : 0;
}
