import { join } from 'node:path';
import { inspect, type LockInspection } from '@runwarden/lock-core';
import { captureIdentity } from '@runwarden/process-identity';
import {
  type AdoptContinuation,
  findRunProcesses,
  type JournalEvent,
  readJournal,
  summarizeJournal,
} from '@runwarden/watchdog';
import type { StatePaths } from './state-paths.js';

/** What a supervisor starting up finds of a loop's last run. */
export type LoopRecovery =
  /** Nothing runs: start a new run. */
  | { kind: 'fresh'; previousRunId?: string }
  /** The run's agent lives on after its supervisor died: adopt it. */
  | {
      kind: 'adopt';
      runId: string;
      runDir: string;
      pid: number;
      startTicks: number;
      continueFrom: AdoptContinuation;
      /** When the run started (its journal's first `started`), Unix ms: the mission clock goes on from there. */
      startedAtMs: number;
    }
  /** The agent is gone but other processes of the run live: end them, then start a new run. */
  | { kind: 'orphans'; runId: string; pids: number[] }
  /** A live process other than a supervisor of this state dir holds the lock. */
  | { kind: 'held'; holderPid: number; reason: string }
  /** The lock file is corrupt; it is kept as it is. */
  | { kind: 'corrupt'; message: string };

/**
 * The last attempt a run's journal recorded (spawned, resumed or adopted), with its pid and start ticks.
 *
 * @param events - the run's journal events.
 * @returns the attempt, or `undefined` when none was recorded with its start ticks.
 */
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
 * Finds out what a loop's `RUN.lock` and its run's journal say, so a
 * supervisor started again after its own SIGKILL adopts the live run instead
 * of starting a second agent (supervisord #199: a restarted supervisord cannot
 * see the children of the one that died). The lock's holder is the dead
 * supervisor; the run's processes are found by `RUNWARDEN_RUN_ID`, the
 * journal's attempt pid and start ticks, its process group and its session.
 *
 * @param paths - the state paths.
 * @param name - the loop.
 * @returns what to do.
 */
export function recoverLoop(paths: StatePaths, name: string): LoopRecovery {
  const lockPath = paths.loopLock(name);
  const journalOf = (runId: string) => join(paths.runDir(name, runId), 'journal.jsonl');
  let inspection: LockInspection;
  try {
    inspection = inspect(lockPath, {
      orphansOf: (record) =>
        record.runId
          ? findRunProcesses({ runId: record.runId, journalPath: journalOf(record.runId) }).map(
              (found) => found.pid,
            )
          : [],
    });
  } catch (error) {
    return { kind: 'corrupt', message: (error as Error).message };
  }
  if (inspection.state === 'free') return { kind: 'fresh' };
  if (inspection.state === 'corrupt')
    return { kind: 'corrupt', message: inspection.error?.message ?? inspection.explanation };
  const holder = inspection.holder;
  if (inspection.holderVerdict?.status === 'alive' && holder)
    return { kind: 'held', holderPid: holder.holder.pid, reason: inspection.reason };
  const runId = holder?.runId;
  if (!runId) return { kind: 'fresh' };
  let events: ReturnType<typeof readJournal> = [];
  try {
    events = readJournal(journalOf(runId));
  } catch {
    events = [];
  }
  const summary = summarizeJournal(events);
  const last = lastAttemptOf(events);
  const live = findRunProcesses({ runId, journalPath: journalOf(runId) });
  if (summary.state !== 'ended' && last) {
    const identity = captureIdentity(last.pid);
    if (identity && identity.startTicks === last.startTicks && summary.pid === last.pid) {
      const started = events.find((event) => event.type === 'started');
      return {
        kind: 'adopt',
        runId,
        runDir: paths.runDir(name, runId),
        pid: last.pid,
        startTicks: last.startTicks,
        continueFrom: {
          attempt: last.attempt,
          resumes: summary.resumes,
          budgetSpent: summary.budgetSpent,
          quotaPauses: summary.quotaPauses,
        },
        startedAtMs: started ? Date.parse(started.ts) : Date.now(),
      };
    }
  }
  if (live.length > 0) return { kind: 'orphans', runId, pids: live.map((found) => found.pid) };
  return { kind: 'fresh', previousRunId: runId };
}
