/**
 * The attempt loop: adopt or spawn an attempt, wait for its end, end what is
 * left of its tree, judge completion, and after a death resume (or end the
 * run), until the run is complete or a limit ends it.
 */
import { adoptAttempt } from './adopt-attempt.js';
import { afterDeath, findAttemptQuota } from './after-death.js';
import type { Attempt } from './attempt.js';
import { endAttemptTree, sweepLeftovers } from './attempt-tree.js';
import { settledWithin } from './clock.js';
import { checkCompletion } from './completion-check.js';
import { announceStop, type RunEnd, stoppedEnd, unkillableEnd } from './finish.js';
import type { RunContext } from './run-context.js';
import { spawnAttempt } from './spawn-attempt.js';

/**
 * Runs attempts until the run ends: the adopted process first when there is
 * one, then the command (the `resume` command after the first attempt).
 *
 * @param context - the run, its services ready.
 * @returns how the run ends.
 */
export async function runAttempts(context: RunContext): Promise<RunEnd> {
  const { state } = context;
  let adopting = context.adopted;
  for (;;) {
    state.attempt++;
    const attempt = adopting
      ? await adoptAttempt(context, adopting)
      : await spawnAttempt(context, context.specFor(state.attempt));
    adopting = undefined;
    const { end } = attempt;
    // A heartbeat written just before the end is this attempt's progress: look now, before any event.
    context.progress.poll(state.times);
    state.times = undefined;

    if (end.kind === 'spawn-error') {
      state.lastExit = null;
      context.emit(
        'died',
        { cause: 'spawn-error', error: end.error.code, message: end.error.message },
        'CHILD_FAILED',
      );
      return {
        reason: 'CHILD_FAILED',
        message: `Could not start ${context.specFor(state.attempt).command}: ${end.error.message}`,
      };
    }
    const ended = await endAttempt(context, attempt);
    if (ended) return ended;
    await settledWithin(attempt.closed, 1000);
    attempt.child?.stdout?.destroy();
    attempt.child?.stderr?.destroy();
    context.fileOutput?.drain();
    context.tee.endAttempt();
    context.progress.poll(state.times);

    const quota = findAttemptQuota(context);
    const completion = await checkCompletion(context, {
      exitedZero: end.kind === 'exit' && end.code === 0,
      quotaHit: quota !== undefined,
    });
    if (completion.complete) {
      context.emit('completed', { by: completion.by }, 'OK');
      return {
        reason: 'OK',
        message: `Completed (${completion.by}) after ${state.attempt} attempt(s).`,
        extra: { completedBy: completion.by },
      };
    }
    // Stopped meanwhile (interrupt, mission timeout, lock lost, service died): nothing to resume.
    if (context.stop.kind) {
      announceStop(context);
      return stoppedEnd(context);
    }
    const next = await afterDeath(context, {
      attempt,
      checkAdvanced: completion.checkAdvanced,
      quota,
    });
    if (next) return next;
    state.resumes++;
    context.progress.resumed();
  }
}

/**
 * Ends what is left of an attempt that ended: after an exit, its `exited`
 * event and the sweep of its leftovers; after a liveness verdict or a stop,
 * that event and the kill of its whole tree.
 *
 * @param context - the run.
 * @param attempt - the attempt, ended by an exit, a verdict or a stop.
 * @returns how the run ends when the attempt's end ends it (a stop, an unkillable tree); else `undefined`.
 */
async function endAttempt(context: RunContext, attempt: Attempt): Promise<RunEnd | undefined> {
  const { state, settings } = context;
  const { end } = attempt;
  if (end.kind === 'exit') {
    state.lastExit = { code: end.code, signal: end.signal };
    context.emit('exited', {
      pid: attempt.pid ?? 0,
      code: end.code,
      signal: end.signal,
      uptimeMs: Math.round(attempt.uptimeMs),
    });
    // Output written just before the exit may still be in the pipe.
    await settledWithin(attempt.closed, 100);
    return (await sweepLeftovers(context, attempt)) ? unkillableEnd(context) : undefined;
  }
  if (end.kind === 'stop') announceStop(context);
  else if (end.kind === 'output-idle')
    context.emit('output-idle', { idleTimeoutMs: settings.limits.idleTimeoutMs }, 'IDLE_TIMEOUT');
  else if (end.kind === 'startup-idle')
    context.emit(
      'startup-idle',
      { startupIdleMs: settings.limits.startupIdleMs },
      'STARTUP_TIMEOUT',
    );
  else if (end.kind === 'progress-idle')
    context.emit(
      'progress-idle',
      { progressIdleMs: settings.limits.progressIdleMs },
      'IDLE_TIMEOUT',
    );
  state.isTerminated = true;
  const why = end.kind === 'stop' ? context.stop.kind! : end.kind;
  const killed = await endAttemptTree(context, attempt, why);
  state.lastExit = attempt.child
    ? { code: attempt.child.exitCode, signal: attempt.child.signalCode }
    : { code: null, signal: null };
  if (killed && killed.survivors.length > 0) return unkillableEnd(context);
  if (end.kind === 'stop') return stoppedEnd(context);
  return undefined;
}
