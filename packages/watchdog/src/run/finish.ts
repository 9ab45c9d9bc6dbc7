/**
 * The end of a run: its services ended, its result made from the run's
 * state, the `ended` event written, the journal and logs closed, `onFinish`
 * called. Every way a run ends goes through {@link finishRun}.
 */
import { EXIT_CODES, type ReasonCode } from '../reasons.js';
import type { RunResult } from '../run-result.js';
import { stopService } from '../service.js';
import type { RunContext } from './run-context.js';
import { stopEventOf, stopOutcome } from './stop.js';

/** How a run ends: its reason, one line for people, and any result field beside them. */
export interface RunEnd {
  reason: ReasonCode;
  message: string;
  extra?: Partial<RunResult>;
}

/** A run's stop, as the plain facts of {@link stopEventOf} and {@link stopOutcome}. */
function stopFacts(context: RunContext) {
  const { stop } = context;
  return {
    kind: stop.kind,
    detail: stop.detail,
    externalFailure: stop.externalFailure,
    missionTimeoutMs: context.settings.missionTimeoutMs,
  };
}

/**
 * Writes the event that says why the run stopped (interrupt, mission
 * timeout, lost lock; a dead service has its `service-died` already).
 *
 * @param context - the run.
 */
export function announceStop(context: RunContext): void {
  const event = stopEventOf(stopFacts(context));
  if (event) context.emit(event.type, event.data, event.reason);
}

/**
 * The end of a run stopped from outside (interrupt, mission timeout, lost
 * lock, dead service).
 *
 * @param context - the run.
 * @returns the end.
 */
export function stoppedEnd(context: RunContext): RunEnd {
  return stopOutcome(stopFacts(context));
}

/**
 * The end of a run whose tree survived SIGKILL.
 *
 * @param context - the run (its survivors in its state).
 * @returns the `UNKILLABLE` end.
 */
export function unkillableEnd(context: RunContext): RunEnd {
  return {
    reason: 'UNKILLABLE',
    message: `Part of the tree survived SIGKILL: ${context.state.survivors.map((survivor) => survivor.pid).join(', ')}`,
  };
}

/**
 * Finishes a run: nothing stops it from here on, its services' trees are
 * ended, its result is made and journalled, and `onFinish` is awaited.
 *
 * @param context - the run.
 * @param end - how it ends.
 * @returns the result.
 */
export async function finishRun(context: RunContext, end: RunEnd): Promise<RunResult> {
  const { state, settings } = context;
  context.stop.finish();
  // The tree is ended; what its pipes still hold is not waited for.
  state.currentChild?.stdout?.destroy();
  state.currentChild?.stderr?.destroy();
  for (const service of context.services) {
    const stopped = await stopService(service, settings.killGraceMs);
    if (stopped && stopped.killed.length + stopped.survivors.length > 0) {
      context.emit('kill', {
        why: `service-stop:${service.name}`,
        killed: stopped.killed,
        survivors: stopped.survivors,
        escalated: stopped.escalated,
        durationMs: stopped.durationMs,
      });
    }
  }
  const { reason, message } = end;
  const checkpoint = context.watcher.lastCheckpoint();
  const result: RunResult = {
    ok: reason === 'OK',
    reason,
    exitCode: EXIT_CODES[reason],
    runId: settings.runId,
    runDir: settings.runDir,
    attempts: state.attempt,
    resumes: state.resumes,
    budgetSpent: state.ledger.budgetSpent,
    quotaPauses: state.ledger.quotaPauses,
    durationMs: Math.round(context.clock.monotonicNow() - context.startedAtMs),
    timedOut: reason === 'MISSION_TIMEOUT',
    isTerminated: state.isTerminated,
    isForcefullyTerminated: state.isForcefullyTerminated,
    lastExit: state.lastExit,
    survivors: state.survivors,
    ...(checkpoint ? { checkpoint } : {}),
    resumeOn: [...settings.policy.resumeOn],
    resumedBy: { ...state.resumedBy },
    ...(state.endedByRule ? { endedByRule: state.endedByRule } : {}),
    warnings: [...state.warnings],
    ...end.extra,
    message,
  };
  context.emit(
    'ended',
    {
      exitCode: result.exitCode,
      attempts: result.attempts,
      resumes: result.resumes,
      budgetSpent: result.budgetSpent,
      durationMs: result.durationMs,
      message,
      survivors: result.survivors,
      resumedBy: result.resumedBy,
      ...(result.endedByRule ? { rule: result.endedByRule } : {}),
    },
    reason,
  );
  context.fileOutput?.close();
  context.tee.close();
  context.journal.close();
  await context.options.onFinish?.(result);
  return result;
}
