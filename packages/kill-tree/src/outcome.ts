import type { EnvironRead } from '@runwarden/process-identity';

/**
 * What happened to one process of the tree:
 *
 * - `exited`: gone before any forced signal was sent to it (the graceful
 *   signal ended it, or it ended by itself);
 * - `killed`: gone after the forced signal;
 * - `reused`: gone, and its pid now belongs to another process, which was
 *   never signalled;
 * - `zombie`: dead, not yet reaped by its parent, before any signal of the
 *   kill reached it (one that our signal turned into a zombie is `exited` or
 *   `killed`, like one already reaped);
 * - `unknown`: still there, but could not be tied to the tree any more (its
 *   environment could not be read), so it was not force-killed (fail closed);
 * - `escaped`: still there, but it left the tree by itself (a new session or
 *   process group, `setsid`/double fork) without the run token, so nothing but
 *   its start time ties it to the run: reported, not force-killed;
 * - `unkillable`: survived the forced signal (stuck in the kernel, state `D`);
 *   upstream this is `UNKILLABLE`;
 * - `eperm`: the kernel refused the signal (another user's process).
 */
export type KillReason =
  | 'exited'
  | 'killed'
  | 'reused'
  | 'zombie'
  | 'unknown'
  | 'escaped'
  | 'unkillable'
  | 'eperm';

/** The reasons of a process that is still there after the kill. */
export type SurvivorReason = 'unknown' | 'escaped' | 'unkillable' | 'eperm';

/**
 * True for the reasons of a process that is still alive.
 *
 * @param reason - a reason of a kill report.
 * @returns whether it names a survivor.
 */
export function isSurvivorReason(reason: KillReason): reason is SurvivorReason {
  return (
    reason === 'unknown' || reason === 'escaped' || reason === 'unkillable' || reason === 'eperm'
  );
}

/** What is known of a member of the tree when the forced round reaches it, in plain data. */
export interface ForceFacts {
  /** Linked to the tree in this snapshot (descendant, owned group or session, root). */
  linkedNow: boolean;
  /** Carries the run token in this snapshot. */
  carriesToken: boolean;
  /** Start ticks of the member. */
  startTicks: number;
  /** The latest tick at which it was seen alive and linked to the tree. */
  lastLinkedTick: number;
  /** Process group and session now, and when it was last linked. */
  pgidNow: number;
  sidNow: number;
  pgidThen: number;
  sidThen: number;
  /** The run token as read now, when the kill has one. */
  token?: EnvironRead | undefined;
}

/**
 * Decides, right before the forced signal, whether a member of the tree that
 * is still alive with its recorded start ticks may be force-killed. A pure
 * function, unit-tested as a truth table:
 *
 * 1. linked to the tree now, or carrying the run token → `kill`;
 * 2. orphaned by the kill (its parent died) but still in the process group and
 *    session it had in the tree, and seen alive in the tree at a tick after its
 *    start tick → `kill`: a process that gets its pid later starts at a later
 *    tick, so the start ticks prove it is the same process;
 * 3. the run token could not be read → `unknown` (fail closed);
 * 4. otherwise it moved itself out (setsid/setpgid) without the token, or was
 *    never seen past its first tick → `escaped`.
 *
 * @param facts - what is known of the member now.
 * @returns `kill`, `unknown` or `escaped`.
 */
export function forceDecision(facts: ForceFacts): 'kill' | 'unknown' | 'escaped' {
  if (facts.linkedNow || facts.carriesToken) return 'kill';
  const proven = facts.lastLinkedTick > facts.startTicks;
  const stayed = facts.pgidNow === facts.pgidThen && facts.sidNow === facts.sidThen;
  if (proven && stayed) return 'kill';
  if (facts.token && (facts.token.status === 'unreadable' || facts.token.status === 'empty'))
    return 'unknown';
  return 'escaped';
}
