import { listProcessesSync, RUN_ID_ENV, readEnvironVariable } from '@runwarden/process-identity';

/**
 * The live processes of a run, found by the run id its lock names: every
 * process whose environment carries `RUNWARDEN_RUN_ID=<runId>` (inherited by
 * every descendant, through `setsid` and double forks), read from
 * `/proc/<pid>/environ` in one scan. Zombies and this process are left out.
 * When the runwarden holder is dead, these are the run's orphans: `runwarden
 * status` lists them and `runwarden kill --force` ends them.
 *
 * @param runId - the run id; `undefined` (a lock without one) finds nothing.
 * @returns their pids, ascending.
 */
export function processesOfRun(runId: string | undefined): number[] {
  if (!runId) return [];
  const pids: number[] = [];
  for (const row of listProcessesSync({ cmdline: false })) {
    if (row.pid === process.pid || row.state === 'Z' || row.state === 'X') continue;
    const environ = readEnvironVariable(row.pid, RUN_ID_ENV);
    if (environ.status === 'found' && environ.value === runId) pids.push(row.pid);
  }
  return pids.sort((a, b) => a - b);
}
