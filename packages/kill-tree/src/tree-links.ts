import type { ProcessInfo } from '@runwarden/process-identity';

/** How a process was tied to the tree when it was found. */
export type KillLink = 'root' | 'descendant' | 'group' | 'session' | 'token';

/**
 * Process groups and sessions that belong to the tree, keyed by id, with the
 * start ticks of their leader when known. Linux never reuses a pid while it
 * still names a live process group or session (the kernel keeps the `struct
 * pid` while any member uses it), so every member of an owned group or
 * session was created inside the tree, or joined it from within.
 */
export interface TreeOwnership {
  groups: Map<number, number | undefined>;
  sessions: Map<number, number | undefined>;
}

/** What {@link linkTree} starts from. */
export interface TreeAnchors {
  /** The root, when it is alive: a row with this pid and start ticks is the root. */
  root?: { pid: number; startTicks: number } | undefined;
  /** More roots (e.g. every recorded attempt of a run): each row with one's pid and start ticks is a root. @default [] */
  roots?: ReadonlyArray<{ pid: number; startTicks: number }>;
  /** Pids of the processes carrying the run token in this snapshot. */
  carriers: ReadonlySet<number>;
  /** Never part of the tree: the process doing the kill. */
  selfPid: number;
}

const isDead = (row: ProcessInfo) => row.state === 'Z' || row.state === 'X';

function forget(
  owned: Map<number, number | undefined>,
  members: Map<number, ProcessInfo[]>,
  byPid: Map<number, ProcessInfo>,
): void {
  for (const [id, leaderStartTicks] of owned) {
    const leader = byPid.get(id);
    const empty = (members.get(id) ?? []).length === 0;
    // Empty: the id is free again and may be taken by a stranger. A live process
    // with the id but other start ticks is such a stranger.
    if (
      empty ||
      (leader && leaderStartTicks !== undefined && leader.startTicks !== leaderStartTicks)
    )
      owned.delete(id);
  }
}

/**
 * Which processes of one snapshot belong to the tree, and why: the root, every
 * process carrying the run token, every member of a process group or session
 * the tree owns, and every descendant of those by parent link, to a fixed
 * point. A member that leads a group or session makes the tree own it from
 * then on (recorded in `ownership`, which this function updates; a group or
 * session seen empty is forgotten). Zombies and `selfPid` are never linked.
 *
 * A pure function of its arguments (plus the `ownership` it updates), tested
 * as a truth table.
 *
 * @param table - one snapshot of the process table.
 * @param anchors - the root, the token carriers, and this process.
 * @param ownership - groups and sessions owned so far; updated in place.
 * @returns each linked pid with how it was first reached.
 */
export function linkTree(
  table: readonly ProcessInfo[],
  anchors: TreeAnchors,
  ownership: TreeOwnership,
): Map<number, KillLink> {
  const byPid = new Map<number, ProcessInfo>();
  const children = new Map<number, ProcessInfo[]>();
  const byGroup = new Map<number, ProcessInfo[]>();
  const bySession = new Map<number, ProcessInfo[]>();
  const push = (map: Map<number, ProcessInfo[]>, key: number, row: ProcessInfo) => {
    const list = map.get(key);
    if (list) list.push(row);
    else map.set(key, [row]);
  };
  for (const row of table) {
    byPid.set(row.pid, row);
    if (isDead(row)) continue;
    push(children, row.ppid, row);
    if (row.pgid > 0) push(byGroup, row.pgid, row);
    if (row.sid > 0) push(bySession, row.sid, row);
  }
  forget(ownership.groups, byGroup, byPid);
  forget(ownership.sessions, bySession, byPid);

  const linked = new Map<number, KillLink>();
  const queue: number[] = [];
  const add = (row: ProcessInfo | undefined, via: KillLink) => {
    if (!row || isDead(row) || row.pid === anchors.selfPid || linked.has(row.pid)) return;
    linked.set(row.pid, via);
    queue.push(row.pid);
  };
  for (const anchor of [anchors.root, ...(anchors.roots ?? [])]) {
    const root = anchor ? byPid.get(anchor.pid) : undefined;
    if (root && root.startTicks === anchor!.startTicks) add(root, 'root');
  }
  for (const pid of anchors.carriers) add(byPid.get(pid), 'token');
  for (const id of ownership.groups.keys())
    for (const row of byGroup.get(id) ?? []) add(row, 'group');
  for (const id of ownership.sessions.keys())
    for (const row of bySession.get(id) ?? []) add(row, 'session');

  while (queue.length > 0) {
    const row = byPid.get(queue.shift()!)!;
    for (const child of children.get(row.pid) ?? []) {
      // A child older than its recorded parent belongs to a dead parent whose pid was reused (Windows).
      if (child.startTicks >= row.startTicks) add(child, 'descendant');
    }
    if (row.pgid === row.pid && !ownership.groups.has(row.pid)) {
      ownership.groups.set(row.pid, row.startTicks);
      for (const member of byGroup.get(row.pid) ?? []) add(member, 'group');
    }
    if (row.sid === row.pid && !ownership.sessions.has(row.pid)) {
      ownership.sessions.set(row.pid, row.startTicks);
      for (const member of bySession.get(row.pid) ?? []) add(member, 'session');
    }
  }
  return linked;
}
