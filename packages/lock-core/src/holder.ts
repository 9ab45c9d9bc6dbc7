import { readlinkSync } from 'node:fs';
import {
  captureIdentity,
  getHostFacts,
  getProcessInfoSync,
  type IdentityVerdict,
  type ProcessIdentity,
  processIdentitySchema,
  verifyIdentity,
} from '@runwarden/process-identity';
import * as z from 'zod/mini';
import type { LegacyLockRecord } from './schema.js';

let namespace: string | null | undefined;

/**
 * This process's pid namespace, `readlink /proc/self/ns/pid` (namespaces(7)),
 * e.g. `pid:[4026531836]`; `undefined` where it cannot be read.
 *
 * @returns the namespace link text, read once.
 */
export function ownPidNamespace(): string | undefined {
  if (namespace === undefined) {
    try {
      namespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      namespace = null;
    }
  }
  return namespace ?? undefined;
}

let own: ProcessIdentity | undefined;

/**
 * This process's identity as a lock records it, captured once: pid, start
 * ticks, boot id, machine id, hostname. The executable name (`comm`) is left
 * out on purpose: a holder that renames itself (`process.title = …` sets it
 * through prctl(PR_SET_NAME)) would otherwise be judged `reused` and robbed
 * while alive. Start ticks tell a reused pid apart.
 *
 * @returns the identity.
 * @throws {Error} when `/proc/self` cannot be read.
 */
export function ownIdentity(): ProcessIdentity {
  if (!own || own.pid !== process.pid) {
    const identity = captureIdentity(process.pid, { tokenSource: 'cmdline', token: undefined });
    if (!identity) throw new Error('Cannot read this process from /proc');
    const { comm: _comm, ...withoutComm } = identity;
    own = withoutComm;
  }
  return own;
}

/**
 * zod schema of a claim file's body: the claimant's identity
 * (`processIdentitySchema`) and its pid namespace. A zod/mini schema: parse
 * with `.parse`/`.safeParse`; compose with `z.extend` from 'zod/mini'.
 */
export const claimRecordSchema = z.extend(processIdentitySchema, {
  pidNamespace: z.optional(z.string()),
});

/** A claim file's body. */
export type ClaimRecord = z.infer<typeof claimRecordSchema>;

/**
 * Is the recorded holder still running? {@link verifyIdentity}, plus one rule
 * of the lock's own: a holder recorded in another pid namespace of this
 * machine (another container) cannot be probed by pid, so it is
 * `foreign-host` (`pid-namespace-differs`) unless the boot changed.
 *
 * @param identity - the recorded holder.
 * @param pidNamespace - the holder's pid namespace, when recorded.
 * @returns the verdict.
 */
export function verifyHolder(identity: ProcessIdentity, pidNamespace?: string): IdentityVerdict {
  const verdict = verifyIdentity(identity);
  if (verdict.status === 'foreign-host' || verdict.reason === 'boot-changed') return verdict;
  const mine = ownPidNamespace();
  if (pidNamespace !== undefined && mine !== undefined && pidNamespace !== mine) {
    return { status: 'foreign-host', reason: 'pid-namespace-differs' };
  }
  return verdict;
}

/**
 * Is the pid of a LifeOS `runner_lock.py` body still its runner? Alive when
 * the pid runs a command line that holds the runner token; dead when gone or a
 * zombie; `reused` when it runs something else; `unknown` when the command line
 * cannot be read.
 *
 * @param record - the LifeOS body.
 * @returns the verdict.
 */
export function verifyLegacyHolder(record: LegacyLockRecord): IdentityVerdict {
  let info: ReturnType<typeof getProcessInfoSync>;
  try {
    info = getProcessInfoSync(record.pid);
  } catch (error) {
    return { status: 'unknown', reason: `proc-unreadable:${(error as Error).message}` };
  }
  if (!info) return { status: 'dead', reason: 'no-such-process' };
  if (info.state === 'Z' || info.state === 'X') return { status: 'dead', reason: 'zombie' };
  if (info.cmdline.length === 0) return { status: 'unknown', reason: 'cmdline-empty' };
  return info.cmdline.join(' ').includes(record.runner_token)
    ? { status: 'alive', reason: 'runner-token-in-cmdline' }
    : { status: 'reused', reason: 'runner-token-not-in-cmdline' };
}

let bootId: string | undefined;

/**
 * This boot's id, `''` when unknown; read once (it cannot change while this
 * process lives).
 *
 * @returns `/proc/sys/kernel/random/boot_id`.
 */
export function ownBootId(): string {
  bootId ??= getHostFacts().bootId;
  return bootId;
}
