import { listProcessesSync, RUN_ID_ENV, readEnvironVariable } from '@runwarden/process-identity';

/** Pids of live processes whose environment carries `RUNWARDEN_RUN_ID=<runId>`, excluding this process. */
export function processesOfRun(runId: string | undefined): number[] {
  if (!runId) return [];
  const pids: number[] = [];
  for (const row of listProcessesSync({ cmdline: false })) {
    if (row.pid === process.pid || row.state === 'Z') continue;
    const environ = readEnvironVariable(row.pid, RUN_ID_ENV);
    if (environ.status === 'found' && environ.value === runId) pids.push(row.pid);
  }
  return pids;
}
