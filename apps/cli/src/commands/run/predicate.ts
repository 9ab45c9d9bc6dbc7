import type { RunPredicate } from '@runwarden/evidence-hasher';
import type { captureIdentity } from '@runwarden/process-identity';
import {
  EXIT_CODES,
  type JournalEvent,
  type ReasonCode,
  type RunResult,
  readJournal,
} from '@runwarden/watchdog';
import type { RunOptions } from './supervise-options.js';

/**
 * The run's own in-toto predicate: what ran, with which limits, how it ended,
 * and the identities of runwarden and of each attempt's process (from the journal).
 *
 * @param input - the run, its options, how it ended, when it started and runwarden's own identity.
 * @returns the predicate of the run's in-toto statement.
 */
export function runPredicate(input: {
  runId: string;
  runDir: string;
  options: RunOptions;
  reason: ReasonCode;
  result: RunResult | undefined;
  startedAt: string;
  self: ReturnType<typeof captureIdentity>;
}): RunPredicate {
  const { options, result, self } = input;
  const processes: NonNullable<RunPredicate['processes']> = [];
  if (self) {
    processes.push({
      role: 'runwarden',
      pid: self.pid,
      startTimeMs: self.startTimeMs,
      bootId: self.bootId,
      machineId: self.machineId,
      hostname: self.hostname,
    });
  }
  try {
    for (const event of readJournal(`${input.runDir}/journal.jsonl`)) {
      if (event.type !== 'spawned' && event.type !== 'resumed') continue;
      const data = event as JournalEvent & {
        pid: number;
        startTimeMs?: number;
        startTicks?: number;
      };
      processes.push({
        role: `attempt-${event.attempt}`,
        pid: data.pid,
        ...(data.startTimeMs !== undefined ? { startTimeMs: data.startTimeMs } : {}),
        ...(data.startTicks !== undefined ? { startTicks: data.startTicks } : {}),
        ...(self
          ? { bootId: self.bootId, machineId: self.machineId, hostname: self.hostname }
          : {}),
      });
    }
  } catch {
    // no journal: the run never started
  }
  return {
    runId: input.runId,
    command: [options.command, ...options.args],
    cwd: process.cwd(),
    timeouts: {
      missionMs: options.missionTimeoutMs,
      idleMs: options.idleTimeoutMs,
      startupMs: options.startupIdleMs,
      progressMs: options.progressIdleMs,
      killGraceMs: options.killGraceMs,
    },
    maxResumes: options.maxResumes,
    reason: input.reason,
    exitCode: EXIT_CODES[input.reason],
    lastExit: result?.lastExit ?? null,
    startedAt: input.startedAt,
    finishedAt: new Date().toISOString(),
    durationMs: result?.durationMs,
    attempts: result?.attempts,
    resumes: result?.resumes,
    processes,
  };
}
