import {
  getProcessInfoSync,
  type IdentityVerdict,
  listProcessesSync,
  type ProcessIdentity,
  type ProcessInfo,
  RUN_ID_ENV,
  readEnvironVariable,
  verifyIdentity,
} from '@runwarden/process-identity';
import { KillTreeError } from './errors.js';

/** Options for {@link killTree}. */
export interface KillTreeOptions {
  /**
   * The graceful signal, sent to every member of the tree at once.
   * @default 'SIGTERM'
   */
  signal?: NodeJS.Signals;
  /**
   * How long the tree may take to exit after the graceful signal, in ms.
   * @default 5000
   */
  graceMs?: number;
  /**
   * The forced signal for whatever is left after `graceMs`.
   * @default 'SIGKILL'
   */
  forceSignal?: NodeJS.Signals;
  /**
   * How long to wait for the forced signal to take effect before reporting
   * survivors, in ms.
   * @default 2000
   */
  forceWaitMs?: number;
  /**
   * How often the table is re-read while waiting, in ms.
   * @default 50
   */
  pollMs?: number;
  /**
   * The run token: every process whose environment carries
   * `RUNWARDEN_RUN_ID=<token>` belongs to the tree, even after `setsid` or a
   * double fork.
   * @default the identity's `token` when it came from the environment
   */
  token?: string;
  /**
   * Stop the tree (SIGSTOP) while it is signalled, then continue it (SIGCONT),
   * so a fork loop cannot outrun the kill.
   * @default true
   */
  freeze?: boolean;
  /**
   * Process groups that belong to the tree even after their leader is gone
   * (e.g. the group of a child started with `detached: true`). Give the
   * leader's start ticks so a group id reused by a stranger after the group
   * emptied is never swept.
   * @default []
   */
  processGroups?: Array<number | { pgid: number; leaderStartTicks: number }>;
}

/** A tree known only by its run token: every process carrying `RUNWARDEN_RUN_ID=<token>`, and their descendants. */
export interface TokenTarget {
  token: string;
}

/** A process that is still there after the kill, and why. */
export interface KillSurvivor {
  pid: number;
  /**
   * `unkillable`: survived the forced signal (stuck in the kernel, state `D`);
   * `unknown`: could not be verified, so it was not force-killed (fail closed);
   * `eperm`: the kernel refused the signal.
   */
  reason: 'unkillable' | 'unknown' | 'eperm';
  state?: string;
  comm?: string;
}

/** What {@link killTree} did. Shares its flags with a run result (`ok`, `durationMs`). */
export interface KillTreeResult {
  /** True when nothing of the tree is left. */
  ok: boolean;
  /** How the tree was found and ended. */
  mechanism: 'proc-snapshot';
  /** Root pid, or `null` when the root was already gone and only its marked orphans were swept. */
  rootPid: number | null;
  /** Pids that were part of the tree and are gone now. */
  killed: number[];
  /** Pids that are still there. */
  survivors: KillSurvivor[];
  /** True when the forced signal had to be sent. */
  escalated: boolean;
  /** Wall time of the whole kill, in ms. */
  durationMs: number;
  /** Time spent in each phase, in ms. */
  phases: { snapshotMs: number; graceMs: number; forceMs: number };
}

interface Member {
  pid: number;
  startTicks: number;
  comm: string;
  gone: boolean;
  eperm: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function send(
  pid: number,
  signal: NodeJS.Signals | 'SIGSTOP' | 'SIGCONT',
): 'ok' | 'gone' | 'eperm' {
  try {
    process.kill(pid, signal);
    return 'ok';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'gone';
    if (code === 'EPERM') return 'eperm';
    throw error;
  }
}

/** Is the member still the same live process? Zombies count as gone. */
function isGone(member: Member): boolean {
  const info = getProcessInfoSync(member.pid, { cmdline: false });
  return (
    info === null ||
    info.startTicks !== member.startTicks ||
    info.state === 'Z' ||
    info.state === 'X'
  );
}

/**
 * Finds the tree in one snapshot: the root, its descendants by parent link,
 * its process group when it leads one, and every process carrying the run
 * token. Never includes this process.
 */
function collect(
  rootPid: number | null,
  groups: Map<number, number | undefined>,
  token: string | undefined,
  known: Map<number, Member>,
): ProcessInfo[] {
  const table = listProcessesSync({ cmdline: false });
  const byPid = new Map(table.map((row) => [row.pid, row]));
  const inTree = new Set<number>();
  for (const [pid, member] of known) {
    const row = byPid.get(pid);
    if (row && row.startTicks === member.startTicks) inTree.add(pid);
  }
  if (rootPid !== null) {
    const root = byPid.get(rootPid);
    if (root) {
      inTree.add(rootPid);
      // A group the root leads stays the tree's even after the root is gone.
      if (root.pgid === rootPid && !groups.has(rootPid)) groups.set(rootPid, root.startTicks);
    }
  }
  if (groups.size > 0) {
    for (const [pgid, leaderStartTicks] of groups) {
      const leader = byPid.get(pgid);
      // A live process with the group's number that is not its leader means the id was reused.
      if (leader && leaderStartTicks !== undefined && leader.startTicks !== leaderStartTicks)
        groups.delete(pgid);
    }
    for (const row of table) if (groups.has(row.pgid)) inTree.add(row.pid);
  }
  if (token !== undefined) {
    for (const row of table) {
      if (inTree.has(row.pid) || row.pid === process.pid) continue;
      const environ = readEnvironVariable(row.pid, RUN_ID_ENV);
      if (environ.status === 'found' && environ.value === token) inTree.add(row.pid);
    }
  }
  // Descendants of anything in the tree, to a fixed point.
  const children = new Map<number, number[]>();
  for (const row of table) {
    const list = children.get(row.ppid);
    if (list) list.push(row.pid);
    else children.set(row.ppid, [row.pid]);
  }
  const queue = [...inTree];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    for (const child of children.get(pid) ?? []) {
      if (!inTree.has(child)) {
        inTree.add(child);
        queue.push(child);
      }
    }
  }
  inTree.delete(process.pid);
  return [...inTree]
    .map((pid) => byPid.get(pid)!)
    .filter((row) => row.state !== 'Z' && row.state !== 'X');
}

/**
 * Ends a whole process tree: graceful signal to every member at once, then the
 * forced signal after `graceMs` to whatever is left, and reports who is gone
 * and who survived. Linux, from `/proc` (no `ps` per process, unlike
 * `tree-kill`).
 *
 * When `target` is a {@link ProcessIdentity}, it is verified first: a reused pid
 * is refused and nothing is signalled. Before the forced round each survivor's
 * start time is checked again, so a pid reused during the grace period is never
 * force-killed. Follows systemd's `KillMode=control-group` with
 * `TimeoutStopSec` (systemd.kill(5)), with process groups and the run token in
 * place of a cgroup.
 *
 * @param target - a pid, an identity captured when the process was started,
 *   or `{token}` for every process carrying the run token.
 * @param options - signals, grace period (ms) and the run token.
 * @returns the report; `ok` is false when something survived.
 * @throws {KillTreeError} `ERR_IDENTITY_MISMATCH` when the identity's pid now
 *   belongs to another process (or another host), `ERR_IDENTITY_UNKNOWN` when it
 *   cannot be verified (fail closed), `ERR_INVALID_TARGET` for a bad pid,
 *   `ERR_UNSUPPORTED_PLATFORM` off Linux.
 */
export async function killTree(
  target: number | ProcessIdentity | TokenTarget,
  options: KillTreeOptions = {},
): Promise<KillTreeResult> {
  if (process.platform !== 'linux') {
    throw new KillTreeError(
      'ERR_UNSUPPORTED_PLATFORM',
      `killTree reads /proc; ${process.platform} is not supported yet.`,
    );
  }
  const started = performance.now();
  const signal = options.signal ?? 'SIGTERM';
  const forceSignal = options.forceSignal ?? 'SIGKILL';
  const graceMs = options.graceMs ?? 5000;
  const forceWaitMs = options.forceWaitMs ?? 2000;
  const pollMs = options.pollMs ?? 50;
  const freeze = options.freeze ?? true;

  let rootPid: number | null;
  let token = options.token;
  if (typeof target === 'object' && !('pid' in target)) {
    if (typeof target.token !== 'string' || target.token.length === 0) {
      throw new KillTreeError('ERR_INVALID_TARGET', 'A token target needs a non-empty token.');
    }
    rootPid = null;
    token = target.token;
  } else if (typeof target === 'number') {
    if (!Number.isInteger(target) || target <= 0) {
      throw new KillTreeError('ERR_INVALID_TARGET', `Invalid pid: ${String(target)}`);
    }
    rootPid = getProcessInfoSync(target, { cmdline: false }) ? target : null;
  } else {
    const verdict: IdentityVerdict = verifyIdentity(target);
    if (verdict.status === 'reused' || verdict.status === 'foreign-host') {
      throw new KillTreeError(
        'ERR_IDENTITY_MISMATCH',
        `Refusing to signal pid ${target.pid}: it is no longer the recorded process (${verdict.reason}).`,
        { verdict, hint: 'The process you meant has ended; nothing was signalled.' },
      );
    }
    if (verdict.status === 'unknown') {
      throw new KillTreeError(
        'ERR_IDENTITY_UNKNOWN',
        `Cannot verify pid ${target.pid} (${verdict.reason}); refusing to signal it.`,
        { verdict, hint: 'Run as the same user as the process, or as root.' },
      );
    }
    rootPid = verdict.status === 'alive' ? target.pid : null;
    if (token === undefined && (target.tokenSource ?? 'env') === 'env') token = target.token;
  }

  const members = new Map<number, Member>();
  const addMembers = (rows: ProcessInfo[]): Member[] => {
    const added: Member[] = [];
    for (const row of rows) {
      const existing = members.get(row.pid);
      if (existing && existing.startTicks === row.startTicks) continue;
      const member: Member = {
        pid: row.pid,
        startTicks: row.startTicks,
        comm: row.comm,
        gone: false,
        eperm: false,
      };
      members.set(row.pid, member);
      added.push(member);
    }
    return added;
  };
  const signalAll = (targets: Member[], sig: NodeJS.Signals) => {
    if (freeze) for (const member of targets) send(member.pid, 'SIGSTOP');
    for (const member of targets) {
      const outcome = send(member.pid, sig);
      if (outcome === 'gone') member.gone = true;
      if (outcome === 'eperm') member.eperm = true;
    }
    if (freeze) for (const member of targets) send(member.pid, 'SIGCONT');
  };

  const groups = new Map<number, number | undefined>(
    (options.processGroups ?? []).map((group) =>
      typeof group === 'number' ? [group, undefined] : [group.pgid, group.leaderStartTicks],
    ),
  );
  const first = addMembers(collect(rootPid, groups, token, members));
  const snapshotMs = performance.now() - started;
  signalAll(first, signal);

  const graceStart = performance.now();
  const pending = () => [...members.values()].filter((member) => !member.gone);
  while (performance.now() - graceStart < graceMs) {
    for (const member of pending()) if (isGone(member)) member.gone = true;
    // Anything the tree forked before it was stopped joins it now.
    const late = addMembers(collect(null, groups, token, members));
    if (late.length > 0) signalAll(late, signal);
    if (pending().length === 0) break;
    await sleep(pollMs);
  }
  const gracePhaseMs = performance.now() - graceStart;

  let escalated = false;
  const forceStart = performance.now();
  if (pending().length > 0) {
    escalated = true;
    const deadline = performance.now() + forceWaitMs;
    while (true) {
      addMembers(collect(null, groups, token, members));
      for (const member of pending()) {
        if (isGone(member)) {
          member.gone = true;
          continue;
        }
        // isGone re-verified the start time just now: the pid is still ours.
        const outcome = send(member.pid, forceSignal);
        if (outcome === 'gone') member.gone = true;
        if (outcome === 'eperm') member.eperm = true;
      }
      if (pending().length === 0 || performance.now() >= deadline) break;
      await sleep(pollMs);
    }
  }
  const forceMs = performance.now() - forceStart;

  const killed: number[] = [];
  const survivors: KillSurvivor[] = [];
  for (const member of members.values()) {
    if (member.gone || isGone(member)) {
      killed.push(member.pid);
      continue;
    }
    const info = getProcessInfoSync(member.pid, { cmdline: false });
    survivors.push({
      pid: member.pid,
      reason: member.eperm ? 'eperm' : 'unkillable',
      state: info?.state,
      comm: member.comm,
    });
  }
  return {
    ok: survivors.length === 0,
    mechanism: 'proc-snapshot',
    rootPid,
    killed: killed.sort((a, b) => a - b),
    survivors,
    escalated,
    durationMs: Math.round(performance.now() - started),
    phases: {
      snapshotMs: Math.round(snapshotMs),
      graceMs: Math.round(gracePhaseMs),
      forceMs: Math.round(forceMs),
    },
  };
}
