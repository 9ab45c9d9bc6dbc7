import { join } from 'node:path';

/**
 * Where everything lives under a state directory:
 *
 * ```
 * <stateDir>/SUPERVISOR.lock            one supervisor per state dir (lock-core)
 * <stateDir>/supervisor/journal.jsonl   the supervisor's own journal
 * <stateDir>/supervisor/api.json        {url, pid} of the running supervisor's API
 * <stateDir>/supervisor/api.token       its bearer token (fresh each start)
 * <stateDir>/supervisor/evidence/<id>/  the evidence of one supervised period
 * <stateDir>/loops/<name>/RUN.lock      the loop's run lock, held by its watchdog
 * <stateDir>/loops/<name>/loop.json     the loop's own state (state, restarts, last reason)
 * <stateDir>/loops/<name>/runs/<runId>/ journal.jsonl, stdout.log, stderr.log, evidence/
 * <stateDir>/coordination/              the loops' coordination targets and commitments (file store)
 * ```
 *
 * @param stateDir - the state directory, absolute.
 * @returns the paths.
 */
export function statePaths(stateDir: string) {
  const supervisorDir = join(stateDir, 'supervisor');
  const loopDir = (name: string) => join(stateDir, 'loops', name);
  return {
    stateDir,
    supervisorLock: join(stateDir, 'SUPERVISOR.lock'),
    supervisorDir,
    journal: join(supervisorDir, 'journal.jsonl'),
    apiFile: join(supervisorDir, 'api.json'),
    tokenFile: join(supervisorDir, 'api.token'),
    logFile: join(supervisorDir, 'supervisor.log'),
    evidenceDir: (sessionId: string) => join(supervisorDir, 'evidence', sessionId),
    loopsDir: join(stateDir, 'loops'),
    coordination: join(stateDir, 'coordination'),
    loopDir,
    loopLock: (name: string) => join(loopDir(name), 'RUN.lock'),
    loopState: (name: string) => join(loopDir(name), 'loop.json'),
    runsDir: (name: string) => join(loopDir(name), 'runs'),
    runDir: (name: string, runId: string) => join(loopDir(name), 'runs', runId),
  };
}

/** The paths of one state directory ({@link statePaths}). */
export type StatePaths = ReturnType<typeof statePaths>;
