import {
  listProcessesSync,
  type ProcessInfo,
  RUN_ID_ENV,
  readEnvironVariable,
} from '@runwarden/process-identity';
import { type JournalEvent, readJournal } from '@runwarden/watchdog';

/** One live process of a run, and how it was found. */
export interface RunProcess {
  pid: number;
  startTicks: number;
  /** `run-token`: it carries `RUNWARDEN_RUN_ID`; `attempt`: the journal's attempt pid and start ticks; `process-group` / `session`: it is in the attempt's group or session. */
  via: 'run-token' | 'attempt' | 'process-group' | 'session';
}

/** The last attempt the journal recorded (spawned, resumed or adopted), with its pid and start ticks. */
export function lastAttemptOf(
  events: readonly JournalEvent[],
): { pid: number; startTicks: number; attempt: number } | undefined {
  for (let index = events.length - 1; index >= 0; index--) {
    const event = events[index]!;
    if (event.type !== 'spawned' && event.type !== 'resumed' && event.type !== 'adopted') continue;
    if (typeof event.pid !== 'number' || typeof event.startTicks !== 'number') return undefined;
    return { pid: event.pid, startTicks: event.startTicks, attempt: event.attempt };
  }
  return undefined;
}

/**
 * The live processes of a run, beyond those that carry its `RUNWARDEN_RUN_ID`
 * (a child may clear its environment): the journal's last attempt (pid and
 * start ticks), and the members of that attempt's process group and session.
 * A group or session id counts only while its leader pid is the attempt's or
 * free (Linux never hands out a pid still used as a group or session id).
 * One scan of the process table; zombies and this process are left out.
 *
 * @param options - the run id, and its journal (for the attempt's pid).
 * @returns the processes, by pid.
 */
export function findRunProcesses(options: { runId: string; journalPath?: string }): RunProcess[] {
  let attempt: { pid: number; startTicks: number } | undefined;
  if (options.journalPath) {
    try {
      attempt = lastAttemptOf(readJournal(options.journalPath));
    } catch {
      attempt = undefined;
    }
  }
  const rows = listProcessesSync({ cmdline: false });
  const leader = attempt ? rows.find((row) => row.pid === attempt.pid) : undefined;
  const groupIsOurs =
    attempt !== undefined && (leader === undefined || leader.startTicks === attempt.startTicks);
  const found: RunProcess[] = [];
  const viaOf = (row: ProcessInfo): RunProcess['via'] | undefined => {
    const environ = readEnvironVariable(row.pid, RUN_ID_ENV);
    if (environ.status === 'found' && environ.value === options.runId) return 'run-token';
    if (!attempt) return undefined;
    if (row.pid === attempt.pid && row.startTicks === attempt.startTicks) return 'attempt';
    if (groupIsOurs && row.pgid === attempt.pid) return 'process-group';
    if (groupIsOurs && row.sid === attempt.pid) return 'session';
    return undefined;
  };
  for (const row of rows) {
    if (row.pid === process.pid || row.state === 'Z' || row.state === 'X') continue;
    const via = viaOf(row);
    if (via) found.push({ pid: row.pid, startTicks: row.startTicks, via });
  }
  return found.sort((a, b) => a.pid - b.pid);
}
