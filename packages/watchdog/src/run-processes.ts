import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { type KillLink, linkTree, type TreeOwnership } from '@runwarden/kill-tree/internal';
import {
  listProcessesSync,
  type ProcessInfo,
  RUN_ID_ENV,
  readEnvironVariable,
} from '@runwarden/process-identity';

/** How a live process was tied to a run. */
export type RunProcessLink = 'run-token' | 'attempt' | 'process-group' | 'session' | 'descendant';

/** A live process working for a run. */
export interface RunProcess {
  pid: number;
  /** Its start time in clock ticks since boot (`/proc/<pid>/stat` field 22). */
  startTicks: number;
  /** How it was found: by its environment, as a recorded attempt, or through one. */
  via: RunProcessLink;
}

/** A process a run's journal recorded (an attempt, an adopted process or a service). */
export interface RecordedProcess {
  pid: number;
  startTicks: number;
  /** Started by the watchdog in its own session and process group (setsid(2)), so it led both. */
  leadsSession: boolean;
}

/** Options for {@link findRunProcesses}. */
export interface FindRunProcessesOptions {
  /** The run id (`RUNWARDEN_RUN_ID`); its services carry `<runId>~<name>`. */
  runId: string;
  /** The run's `journal.jsonl`, whose recorded attempts are found even without the variable. @default none */
  journalPath?: string;
  /** Never reported (the caller). @default process.pid */
  selfPid?: number;
}

/** The longest journal read, in bytes; events past it are not looked at. */
export const MAX_JOURNAL_SCAN_BYTES = 64 * 1024 * 1024;

const LINK_NAMES: Record<KillLink, RunProcessLink> = {
  root: 'attempt',
  token: 'run-token',
  group: 'process-group',
  session: 'session',
  descendant: 'descendant',
};

/**
 * The processes a run's journal recorded with their start ticks: every
 * `spawned`, `resumed` and `adopted` attempt and every `service-started`
 * service. Tolerant by design (it feeds liveness, which fails closed): a line
 * that is not an event is skipped, and a missing, unreadable or non-regular
 * file (a FIFO is never opened for blocking reads) gives `[]`.
 *
 * @param journalPath - the run's `journal.jsonl`.
 * @returns the recorded processes, oldest first.
 */
export function recordedProcesses(journalPath: string): RecordedProcess[] {
  let fd: number;
  try {
    fd = openSync(journalPath, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return [];
  }
  let text: string;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return [];
    const length = Math.min(stat.size, MAX_JOURNAL_SCAN_BYTES);
    const buffer = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const count = readSync(fd, buffer, read, length - read, read);
      if (count === 0) break;
      read += count;
    }
    text = buffer.subarray(0, read).toString('utf8');
  } catch {
    return [];
  } finally {
    closeSync(fd);
  }
  const recorded: RecordedProcess[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let event: { type?: unknown; pid?: unknown; startTicks?: unknown };
    try {
      event = JSON.parse(line);
    } catch {
      continue;
    }
    const { type, pid, startTicks } = event;
    if (
      (type !== 'spawned' &&
        type !== 'resumed' &&
        type !== 'adopted' &&
        type !== 'service-started') ||
      !Number.isInteger(pid) ||
      (pid as number) <= 0 ||
      !Number.isInteger(startTicks)
    )
      continue;
    recorded.push({
      pid: pid as number,
      startTicks: startTicks as number,
      // An adopted process was started by someone else: its group and session are not the run's.
      leadsSession: type !== 'adopted',
    });
  }
  return recorded;
}

/**
 * The live processes of a run, from one snapshot of the process table: every
 * process carrying `RUNWARDEN_RUN_ID=<runId>` (or a service's
 * `<runId>~<name>`), every attempt the journal recorded that still runs with
 * its recorded start ticks, every member of the session and process group an
 * attempt led (Linux never reuses a pid while a live group or session uses
 * it), and their descendants. So a child that cleared its environment
 * (`env -i`, an agent sandbox's `--clearenv`) is still found while it stays
 * in the attempt's session; one that also called setsid(2) and cleared its
 * environment cannot be told from a stranger and is not. An attempt is in
 * the journal from one synchronous write right after spawn(2); a runner
 * SIGKILLed inside that window leaves only the run token to find it by.
 *
 * Zombies and `selfPid` are never reported. Linux only: elsewhere the
 * environment scan is not possible and only recorded attempts are found.
 * Follows systemd's view of a unit as its whole control group
 * (systemd.kill(5)), with sessions and groups in place of a cgroup.
 *
 * @param options - the run id and its journal.
 * @returns the processes, by ascending pid.
 * @throws {ProcessIdentityError} when the process table cannot be read (see `listProcessesSync`).
 */
export function findRunProcesses(options: FindRunProcessesOptions): RunProcess[] {
  const selfPid = options.selfPid ?? process.pid;
  const recorded = options.journalPath ? recordedProcesses(options.journalPath) : [];
  const table: ProcessInfo[] = listProcessesSync({ cmdline: false });
  const servicePrefix = `${options.runId}~`;
  const carriers = new Set<number>();
  if (process.platform === 'linux') {
    for (const row of table) {
      if (row.pid === selfPid || row.state === 'Z' || row.state === 'X') continue;
      const environ = readEnvironVariable(row.pid, RUN_ID_ENV);
      if (
        environ.status === 'found' &&
        (environ.value === options.runId || environ.value?.startsWith(servicePrefix))
      )
        carriers.add(row.pid);
    }
  }
  const ownership: TreeOwnership = { groups: new Map(), sessions: new Map() };
  for (const entry of recorded) {
    if (!entry.leadsSession) continue;
    ownership.groups.set(entry.pid, entry.startTicks);
    ownership.sessions.set(entry.pid, entry.startTicks);
  }
  const links = linkTree(table, { roots: recorded, carriers, selfPid }, ownership);
  const startTicksOf = new Map(table.map((row) => [row.pid, row.startTicks]));
  return [...links]
    .map(([pid, via]) => ({ pid, startTicks: startTicksOf.get(pid)!, via: LINK_NAMES[via] }))
    .sort((a, b) => a.pid - b.pid);
}
