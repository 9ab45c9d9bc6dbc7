import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ProcessIdentity } from '@runwarden/process-identity';
import { readRegularFile } from '@runwarden/safe-fs';
import { type ClaimRecord, claimRecordSchema, ownPidNamespace, verifyHolder } from './holder.js';
import { createExclusive } from './lock-io.js';
import type { ResolvedLockOptions } from './options.js';

/** What {@link claimGeneration} found: the claim is ours, a live contender's, or the lock moved. */
export type ClaimOutcome =
  | { won: true; claimPath: string }
  | { won: false; claimant?: ClaimRecord }
  | 'retry';

type ClaimantState = { busy: false } | { busy: true; claimant?: ClaimRecord } | 'gone';

function claimPrefix(path: string, key: string): string {
  return `${basename(path)}.claim.${key}.`;
}

function claimPath(path: string, key: string, link: number): string {
  return join(dirname(path), `${claimPrefix(path, key)}${link}`);
}

function highestClaim(path: string, key: string): number {
  const prefix = claimPrefix(path, key);
  let highest = 0;
  try {
    for (const name of readdirSync(dirname(path))) {
      if (!name.startsWith(prefix)) continue;
      const k = Number(name.slice(prefix.length));
      if (Number.isSafeInteger(k) && k > highest) highest = k;
    }
  } catch {
    // unreadable directory: start at 1
  }
  return highest;
}

function claimantState(path: string, resolved: ResolvedLockOptions): ClaimantState {
  let raw = '';
  let mtimeMs: number;
  try {
    // A claim is a few hundred bytes; a FIFO or a huge file put there by hand is garbage.
    const file = readRegularFile(path, { maxBytes: 4096 });
    if (!file) return 'gone';
    raw = file.bytes.toString('utf8');
    mtimeMs = file.stat.mtimeMs;
  } catch {
    try {
      mtimeMs = lstatSync(path).mtimeMs;
    } catch {
      return 'gone';
    }
  }
  const ageMs = resolved.now() - mtimeMs;
  let claimant: ClaimRecord | undefined;
  try {
    const parsed = claimRecordSchema.safeParse(JSON.parse(raw));
    if (parsed.success) claimant = parsed.data;
  } catch {
    // not JSON
  }
  // Claims are created whole (link), so garbage was put there by hand: give it the grace.
  if (!claimant) return ageMs > resolved.incompleteGraceMs ? { busy: false } : { busy: true };
  const verdict = verifyHolder(claimant, claimant.pidNamespace);
  if (verdict.status === 'dead' || verdict.status === 'reused') return { busy: false };
  // A claimant we cannot probe (another machine or namespace) is abandoned once its
  // claim is older than the stale window: a claim lives for milliseconds.
  if (verdict.status === 'foreign-host' && ageMs > resolved.staleAfterMs) return { busy: false };
  return { busy: true, claimant };
}

/**
 * The body of a claim made by `holder`: its identity and this process's pid namespace.
 *
 * @param holder - the identity that claims.
 * @returns the claim record.
 */
export function claimantOf(holder: ProcessIdentity): ClaimRecord {
  const me: ClaimRecord = { ...holder };
  const pidNamespace = ownPidNamespace();
  if (pidNamespace !== undefined) me.pidNamespace = pidNamespace;
  return me;
}

/**
 * Wins the right to replace generation `key` of the lock, or learns that a
 * live contender has it. Claim `k` is created exclusively; claim `k + 1` may be
 * created only when claim `k`'s owner is proven dead, so at most one live
 * process ever holds a claim for a generation. The chain is entered at its
 * highest link, so dead claimants never pile up into a wedge (README, "Race-free takeover").
 *
 * @param resolved - the lock's options.
 * @param key - the generation to claim.
 * @param me - the claim's body.
 * @returns the outcome.
 */
export function claimGeneration(
  resolved: ResolvedLockOptions,
  key: string,
  me: ClaimRecord,
): ClaimOutcome {
  const { path } = resolved;
  const body = `${JSON.stringify(me)}\n`;
  let k = Math.max(1, highestClaim(path, key));
  for (;;) {
    const link = claimPath(path, key, k);
    const created = createExclusive(link, body, path, false);
    if (created === 'retry') return 'retry';
    if (created) return { won: true, claimPath: link };
    const state = claimantState(link, resolved);
    if (state === 'gone') return 'retry';
    if (state.busy)
      return state.claimant ? { won: false, claimant: state.claimant } : { won: false };
    k++;
  }
}

/**
 * Read-only: is a live contender taking generation `key` over right now?
 *
 * @param resolved - the lock's options.
 * @param key - the generation.
 * @returns whether its highest claim belongs to a live claimant.
 */
export function takeoverInProgress(resolved: ResolvedLockOptions, key: string): boolean {
  const highest = highestClaim(resolved.path, key);
  if (highest === 0) return false;
  const state = claimantState(claimPath(resolved.path, key, highest), resolved);
  return state !== 'gone' && state.busy;
}
