import { join } from 'node:path';
import { findRunProcesses, recordedProcesses } from '@runwarden/watchdog';
import { statePaths } from './state-dir.js';

/** A run id that is safe to join into a path (the ids `newRunId` makes, and the usual ones). */
const RUN_ID_PATTERN = /^[\w.-]+$/;

/** The journal of `runId` under `stateDir`, when the id can name a directory. */
function journalOf(stateDir: string, runId: string): string | undefined {
  if (!RUN_ID_PATTERN.test(runId) || runId === '.' || runId === '..') return undefined;
  return join(statePaths(stateDir).runDir(runId), 'journal.jsonl');
}

/**
 * The live processes of a run, found by the run id its lock names and by what
 * its journal recorded (the watchdog's `findRunProcesses`): every process
 * whose environment carries `RUNWARDEN_RUN_ID=<runId>`, every recorded attempt
 * still running with its recorded start ticks, every member of the session
 * and process group an attempt led, and their descendants. So a child that
 * dropped the variable (`env -i`, `exec env -u RUNWARDEN_RUN_ID`, an agent
 * sandbox's `--clearenv`) still keeps its run alive. Zombies and this process
 * are left out. When the runwarden holder is dead, these are the run's
 * orphans: `runwarden status` lists them, a second run exits 5, and
 * `runwarden kill --force` ends them.
 *
 * @param stateDir - the state directory that holds `runs/<runId>/journal.jsonl`.
 * @param runId - the run id; `undefined` (a lock without one) finds nothing.
 * @returns their pids, ascending.
 */
export function processesOfRun(stateDir: string, runId: string | undefined): number[] {
  if (!runId) return [];
  return findRunProcesses({ runId, journalPath: journalOf(stateDir, runId) }).map(
    (found) => found.pid,
  );
}

/**
 * The process groups and sessions a run's attempts led, with their leaders'
 * recorded start ticks, for `killTree`'s `processGroups` and `sessions`: a
 * group or session is ended only while its leader is gone or still the
 * recorded process (each identity re-verified in the kill's own snapshot).
 *
 * @param stateDir - the state directory.
 * @param runId - the run id.
 * @returns the groups and sessions (empty without a journal).
 */
export function runGroupsOf(
  stateDir: string,
  runId: string,
): {
  processGroups: { pgid: number; leaderStartTicks: number }[];
  sessions: { sid: number; leaderStartTicks: number }[];
} {
  const journal = journalOf(stateDir, runId);
  const leaders = journal ? recordedProcesses(journal).filter((entry) => entry.leadsSession) : [];
  return {
    processGroups: leaders.map((entry) => ({
      pgid: entry.pid,
      leaderStartTicks: entry.startTicks,
    })),
    sessions: leaders.map((entry) => ({ sid: entry.pid, leaderStartTicks: entry.startTicks })),
  };
}
