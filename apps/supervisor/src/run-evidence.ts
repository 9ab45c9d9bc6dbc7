import { type RunPredicate, writeEvidenceAsync } from '@runwarden/evidence-hasher';
import type { ProcessIdentity } from '@runwarden/process-identity';
import { EXIT_CODES, type RunResult, readJournal } from '@runwarden/watchdog';
import type { LoopConfig } from './config.js';

/**
 * The in-toto predicate of one loop run: what ran, its limits, how it ended,
 * and the identities of the supervisor and of each attempt's process (from the
 * run's journal), as `runwarden run` records its runs.
 *
 * @param input - the loop, the run's result and directory, and the supervisor's identity.
 * @returns the predicate.
 */
export function runPredicate(input: {
  loop: LoopConfig;
  runDir: string;
  result: RunResult;
  startedAt: string;
  self: ProcessIdentity | null;
}): RunPredicate {
  const { loop, result, self } = input;
  const host = self
    ? { bootId: self.bootId, machineId: self.machineId, hostname: self.hostname }
    : {};
  const processes: NonNullable<RunPredicate['processes']> = self
    ? [{ role: 'runwarden-supervisor', pid: self.pid, startTimeMs: self.startTimeMs, ...host }]
    : [];
  try {
    for (const event of readJournal(`${input.runDir}/journal.jsonl`)) {
      if (event.type !== 'spawned' && event.type !== 'resumed' && event.type !== 'adopted')
        continue;
      processes.push({
        role: `attempt-${event.attempt}${event.type === 'adopted' ? '-adopted' : ''}`,
        pid: event.pid as number,
        ...(typeof event.startTicks === 'number' ? { startTicks: event.startTicks } : {}),
        ...(typeof event.startTimeMs === 'number' ? { startTimeMs: event.startTimeMs } : {}),
        ...host,
      });
    }
  } catch {
    // no journal
  }
  return {
    runId: result.runId,
    loop: loop.name,
    command: [loop.run.command, ...(loop.run.args ?? [])],
    cwd: loop.run.cwd,
    timeouts: {
      missionMs: loop.run.missionTimeoutMs,
      idleMs: loop.run.idleTimeoutMs,
      startupMs: loop.run.startupIdleMs,
      progressMs: loop.run.progressIdleMs,
      killGraceMs: loop.run.killGraceMs,
    },
    maxResumes: loop.run.maxResumes,
    reason: result.reason,
    exitCode: EXIT_CODES[result.reason],
    lastExit: result.lastExit,
    startedAt: input.startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: result.durationMs,
    attempts: result.attempts,
    resumes: result.resumes,
    processes,
  };
}

/**
 * Writes a run's evidence into `<runDir>/evidence/` (hashed on a worker pool,
 * so the other loops are not held up). Never throws: a failure is returned.
 *
 * @param runDir - the run directory.
 * @param predicate - its predicate.
 * @returns the root digest, or the error's message.
 */
export async function writeRunEvidence(
  runDir: string,
  predicate: RunPredicate,
): Promise<{ rootDigest: string } | { error: string }> {
  try {
    const written = await writeEvidenceAsync(runDir, { predicate, concurrency: 1 });
    return { rootDigest: written.manifest.rootDigest };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
