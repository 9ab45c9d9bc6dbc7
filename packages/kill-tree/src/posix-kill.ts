import {
  currentTicks,
  type EnvironRead,
  getProcessInfoSync,
  listProcesses,
  listProcessesSync,
  type ProcessInfo,
  RUN_ID_ENV,
  readEnvironVariable,
} from '@runwarden/process-identity';
import { forceDecision, type KillReason } from './outcome.js';
import { summarizeKill } from './result.js';
import { type KillLink, linkTree, type TreeOwnership } from './tree-links.js';
import type { KillMechanism, KillProcessReport, KillTreeOptions, KillTreeResult } from './types.js';

/** What the POSIX engine needs from the machine: a table scan, the token, and signals. */
export interface PosixSystem {
  mechanism: KillMechanism;
  /** One snapshot and the tick read just before it (see `currentTicks`). */
  scan(): Promise<{ table: ProcessInfo[]; tick: number }>;
  /** `RUNWARDEN_RUN_ID` of a process. */
  tokenOf(pid: number): EnvironRead;
  /** Sends a signal; `gone` for ESRCH, `eperm` for EPERM. */
  signal(pid: number, signal: NodeJS.Signals): 'ok' | 'gone' | 'eperm';
  /**
   * Reads one pid again right before it is signalled (Linux: one `/proc` read),
   * so the window in which its pid could be reused shrinks from a scan to
   * microseconds; absent where a read costs a child process (macOS).
   */
  recheck?(pid: number): { startTicks: number; state: string } | null;
  /**
   * The command line of a new member, for the report, when the scan did not
   * read command lines (Linux scans skip them for speed: one read per member instead).
   */
  commandOf?(pid: number): string[];
}

function send(pid: number, signal: NodeJS.Signals): 'ok' | 'gone' | 'eperm' {
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

/**
 * The machine as Linux (`/proc`, no child process) or macOS (`ps`) shows it.
 *
 * @param platform - `darwin` for `ps`; anything else reads `/proc`.
 * @returns the system for {@link killPosixTree}.
 */
export function defaultPosixSystem(platform: NodeJS.Platform = process.platform): PosixSystem {
  if (platform === 'darwin') {
    return {
      mechanism: 'ps-snapshot',
      scan: async () => {
        const tick = currentTicks();
        return { tick, table: await listProcesses() };
      },
      tokenOf: () => ({ status: 'unreadable', code: 'ENOTSUP' }),
      signal: send,
    };
  }
  return {
    mechanism: 'proc-snapshot',
    scan: async () => {
      const tick = currentTicks();
      return { tick, table: listProcessesSync({ cmdline: false }) };
    },
    tokenOf: (pid) => readEnvironVariable(pid, RUN_ID_ENV),
    signal: send,
    recheck: (pid) => getProcessInfoSync(pid, { cmdline: false }),
    commandOf: (pid) => getProcessInfoSync(pid)?.cmdline ?? [],
  };
}

/** The resolved target of a kill. */
export interface PosixPlan {
  root: { pid: number; startTicks: number } | undefined;
  token: string | undefined;
  processGroups: Map<number, number | undefined>;
  /** Sessions owned from the start, with their leader's start ticks when known. @default none */
  sessions?: Map<number, number | undefined>;
}

interface Member {
  pid: number;
  startTicks: number;
  comm: string;
  command: string;
  via: KillLink;
  pgid: number;
  sid: number;
  lastLinkedTick: number;
  signals: string[];
  stopped: boolean;
  eperm: boolean;
  forced: boolean;
  /** The forced signal was refused (EPERM): nothing more to try. */
  refused: boolean;
  gone?: 'gone' | 'reused' | 'zombie';
  decided?: 'escaped' | 'unknown';
}

interface Observation {
  byPid: Map<number, ProcessInfo>;
  links: Map<number, KillLink>;
  carriers: Set<number>;
  added: Member[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** One tick of `startTicks` (`currentTicks`: centiseconds), and 1 ms for a timer that fires early. */
const TICK_MS = 11;
const keyOf = (pid: number, startTicks: number) => `${pid}:${startTicks}`;

/**
 * Ends a tree on Linux or macOS. See `killTree` for the contract; this is the
 * engine, with the machine injected.
 *
 * @param plan - the resolved root, token and process groups.
 * @param options - signals and timings.
 * @param system - the machine.
 * @returns the report.
 */
export async function killPosixTree(
  plan: PosixPlan,
  options: Required<Omit<KillTreeOptions, 'token' | 'processGroups' | 'sessions'>>,
  system: PosixSystem,
): Promise<KillTreeResult> {
  const started = performance.now();
  const selfPid = process.pid;
  const members = new Map<string, Member>();
  const ownership: TreeOwnership = {
    groups: new Map(plan.processGroups),
    sessions: new Map(plan.sessions),
  };
  const pending = () => [...members.values()].filter((member) => !member.gone);

  const observe = async (adopt = true): Promise<Observation> => {
    const { table, tick } = await system.scan();
    const byPid = new Map(table.map((row) => [row.pid, row]));
    const carriers = new Set<number>();
    if (plan.token !== undefined) {
      for (const row of table) {
        if (row.pid === selfPid || row.state === 'Z') continue;
        const read = system.tokenOf(row.pid);
        if (read.status === 'found' && read.value === plan.token) carriers.add(row.pid);
      }
    }
    const links = linkTree(table, { root: plan.root, carriers, selfPid }, ownership);
    for (const member of members.values()) {
      if (member.gone) continue;
      const row = byPid.get(member.pid);
      if (!row) member.gone = 'gone';
      else if (row.startTicks !== member.startTicks) member.gone = 'reused';
      else if (row.state === 'Z' || row.state === 'X') member.gone = 'zombie';
      else if (links.has(member.pid)) {
        member.lastLinkedTick = tick;
        member.pgid = row.pgid;
        member.sid = row.sid;
      }
    }
    const added: Member[] = [];
    for (const [pid, via] of adopt ? links : []) {
      const row = byPid.get(pid)!;
      const key = keyOf(pid, row.startTicks);
      if (members.has(key)) continue;
      const member: Member = {
        pid,
        startTicks: row.startTicks,
        comm: row.comm,
        command: (row.cmdline.length > 0 ? row.cmdline : (system.commandOf?.(pid) ?? [])).join(' '),
        via,
        pgid: row.pgid,
        sid: row.sid,
        lastLinkedTick: tick,
        signals: [],
        stopped: false,
        eperm: false,
        forced: false,
        refused: false,
      };
      members.set(key, member);
      added.push(member);
    }
    return { byPid, links, carriers, added };
  };

  const signalOne = (member: Member, signal: NodeJS.Signals): void => {
    // Before the first signal (later ones reach a stopped process) and before
    // the forced one, the pid is read once more: it must still be the member.
    if (system.recheck && (member.signals.length === 0 || signal === options.forceSignal)) {
      const now = system.recheck(member.pid);
      if (!now) member.gone ??= 'gone';
      else if (now.startTicks !== member.startTicks) member.gone = 'reused';
      else if (now.state === 'Z' || now.state === 'X') member.gone = 'zombie';
      if (member.gone) return;
    }
    const outcome = system.signal(member.pid, signal);
    if (outcome === 'gone') {
      member.gone ??= 'gone';
      return;
    }
    member.signals.push(signal);
    if (outcome === 'eperm') member.eperm = true;
    else if (signal === 'SIGSTOP') member.stopped = true;
    else if (signal === 'SIGCONT') member.stopped = false;
  };
  const stopAll = (targets: Member[]) => {
    if (options.freeze) for (const member of targets) signalOne(member, 'SIGSTOP');
  };
  const continueStopped = () => {
    for (const member of members.values()) if (member.stopped) signalOne(member, 'SIGCONT');
  };
  // systemd sends SIGCONT right after the stop signal, so a stopped process can act on it (systemd.kill(5)).
  const continueAll = (targets: Member[]) => {
    for (const member of targets) if (!member.gone) signalOne(member, 'SIGCONT');
  };

  // 1. Find the tree and freeze it: stopped processes cannot fork, so rescanning
  //    until nothing new appears gives the whole tree.
  let escalated = false;
  let snapshotMs = 0;
  let gracePhaseMs = 0;
  let forceMs = 0;
  try {
    const first = await observe();
    stopAll(first.added);
    if (options.freeze) {
      for (let round = 0; round < 20; round++) {
        const next = await observe();
        if (next.added.length === 0) break;
        stopAll(next.added);
      }
    }
    // A member seen only in the tick it started in cannot yet be told from a
    // later process given its pid (forceDecision's rule 2): orphaned by the
    // kill, it would count as escaped. So a tree younger than one tick (10 ms)
    // is looked at again once the clock has ticked, while it is still frozen.
    const unproven = () => pending().some((member) => member.lastLinkedTick <= member.startTicks);
    for (let round = 0; round < 5 && unproven(); round++) {
      await sleep(TICK_MS);
      const next = await observe();
      stopAll(next.added);
    }
    snapshotMs = performance.now() - started;
    // 2. The graceful signal to every member at once, then let them run to handle it.
    const everyone = pending();
    for (const member of everyone) signalOne(member, options.signal);
    continueAll(everyone);

    const graceStart = performance.now();
    const graceDeadline = graceStart + options.graceMs;
    let waitMs = 5;
    while (pending().length > 0 && performance.now() < graceDeadline) {
      await sleep(Math.max(0, Math.min(waitMs, graceDeadline - performance.now())));
      waitMs = Math.min(waitMs * 2, options.pollMs);
      const next = await observe();
      if (next.added.length > 0) {
        // Forked before the freeze took hold: it joins the tree now.
        stopAll(next.added);
        for (const member of next.added) if (!member.gone) signalOne(member, options.signal);
        continueAll(next.added);
      }
    }
    gracePhaseMs = performance.now() - graceStart;

    // 3. The forced round: each survivor is re-verified against a fresh snapshot first.
    const forceStart = performance.now();
    const forceDeadline = forceStart + options.forceWaitMs;
    waitMs = 5;
    const awaitingForce = () => pending().filter((member) => !member.decided && !member.refused);
    while (awaitingForce().length > 0) {
      escalated = true;
      const now = await observe();
      for (const member of awaitingForce()) {
        const row = now.byPid.get(member.pid)!;
        const decision = forceDecision({
          linkedNow: now.links.has(member.pid),
          carriesToken: now.carriers.has(member.pid),
          startTicks: member.startTicks,
          lastLinkedTick: member.lastLinkedTick,
          pgidNow: row.pgid,
          sidNow: row.sid,
          pgidThen: member.pgid,
          sidThen: member.sid,
          token:
            plan.token !== undefined && !now.links.has(member.pid)
              ? system.tokenOf(member.pid)
              : undefined,
        });
        if (decision === 'kill') {
          signalOne(member, options.forceSignal);
          member.forced = true;
          if (member.eperm) member.refused = true;
        } else {
          member.decided = decision;
        }
      }
      if (performance.now() >= forceDeadline) break;
      await sleep(Math.max(0, Math.min(waitMs, forceDeadline - performance.now())));
      waitMs = Math.min(waitMs * 2, options.pollMs);
    }
    forceMs = performance.now() - forceStart;
  } finally {
    // Never leave a process of ours stopped, whatever happened above.
    continueStopped();
  }

  const final = await observe(false);
  const processes: KillProcessReport[] = [];
  for (const member of members.values()) {
    let reason: KillReason;
    // A zombie our signal made is a process our signal ended: `killed` (or `exited` before the
    // forced signal), as if it had been reaped; only one that was a zombie before any signal is `zombie`.
    if (member.gone === 'reused') reason = 'reused';
    else if (member.gone === 'zombie' && member.signals.length === 0) reason = 'zombie';
    else if (member.gone) reason = member.forced ? 'killed' : 'exited';
    else
      reason =
        member.decided ?? (member.eperm ? 'eperm' : member.forced ? 'unkillable' : 'unknown');
    const state = member.gone ? undefined : final.byPid.get(member.pid)?.state;
    const report: KillProcessReport = {
      pid: member.pid,
      comm: member.comm,
      reason,
      via: member.via,
      signals: member.signals,
    };
    if (member.command) report.command = member.command;
    if (state !== undefined) report.state = state;
    processes.push(report);
  }
  return summarizeKill({
    mechanism: system.mechanism,
    rootPid: plan.root?.pid ?? null,
    processes,
    escalated,
    startedMs: started,
    phasesMs: { snapshotMs, graceMs: gracePhaseMs, forceMs },
  });
}
