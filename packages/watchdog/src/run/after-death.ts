/**
 * What follows an attempt that died before completion: the death classified
 * ({@link classifyDeath}), the decision taken ({@link decideAfterDeath}:
 * fail, hand off, pause for a quota, or resume after backoff), each step
 * journalled, and the backoff or pause waited out.
 */
import { findQuotaMessage, parseResetTime } from '../quota.js';
import { type DeathFacts, decideAfterDeath } from '../resume-policy.js';
import type { Attempt } from './attempt.js';
import { waitOut } from './clock.js';
import { classifyDeath, type DeathEnd, failureMessage } from './death.js';
import { announceStop, type RunEnd, stoppedEnd } from './finish.js';
import { handoffEnd } from './handoff.js';
import type { RunContext } from './run-context.js';

/** How many of the dead attempt's last lines are searched for a quota message. */
export const QUOTA_SCAN_LINES = 50;

/**
 * The quota message of the attempt that just ended, with its reset time.
 *
 * @param context - the run.
 * @returns the message and its reset instant (Unix ms) when it names one;
 *   `undefined` without one, or when quota pauses are off.
 */
export function findAttemptQuota(context: RunContext): DeathFacts['quota'] {
  const pattern = context.settings.quotaPattern;
  if (!pattern) return undefined;
  const match = findQuotaMessage(context.tee.attemptLines(QUOTA_SCAN_LINES), pattern);
  if (!match) return undefined;
  return {
    line: match.line,
    resetAtMs: parseResetTime(match.resetText, { nowMs: context.clock.now() }),
  };
}

/**
 * Decides and does what follows a death: the `died` event, then the run's
 * end (not retried, not resumed, or the budget spent and handed off), or a
 * `quota-pause` / `resume-scheduled` event and the wait before the next
 * attempt.
 *
 * @param context - the run.
 * @param death - the attempt, whether the completion check advanced, and the quota message it printed.
 * @returns how the run ends, or `undefined` to start the next attempt.
 */
export async function afterDeath(
  context: RunContext,
  death: { attempt: Attempt; checkAdvanced: boolean; quota: DeathFacts['quota'] },
): Promise<RunEnd | undefined> {
  const { state, settings } = context;
  const { attempt, quota } = death;
  const { policy } = settings;
  const { cause, rule, retryable, label } = classifyDeath({
    end: attempt.end.kind as DeathEnd,
    exit: state.lastExit,
  });
  const progressed = context.progress.sinceResume || death.checkAdvanced;
  const decision = decideAfterDeath(
    state.ledger,
    {
      cause,
      rule,
      retryable,
      progressed,
      uptimeMs: attempt.uptimeMs,
      quota,
      nowMs: context.clock.now(),
    },
    policy,
    context.options.random,
  );
  context.emit(
    'died',
    {
      cause: label,
      code: state.lastExit?.code ?? null,
      signal: state.lastExit?.signal ?? null,
      progressed,
      quota: quota?.line,
      rule,
    },
    cause,
  );
  if (decision.action === 'fail') {
    if (decision.why !== 'not-retryable') state.endedByRule = rule;
    return {
      reason: decision.reason,
      message: failureMessage({
        command: context.specFor(state.attempt).command,
        cause,
        exit: state.lastExit,
        why: decision.why,
        rule,
        resumeOn: policy.resumeOn,
      }),
    };
  }
  if (decision.action === 'handoff') {
    state.endedByRule = rule;
    return handoffEnd(context, cause);
  }

  state.ledger = decision.ledger;
  state.resumedBy[rule] = (state.resumedBy[rule] ?? 0) + 1;
  if (decision.action === 'quota-pause') {
    context.emit(
      'quota-pause',
      {
        delayMs: decision.delayMs,
        until: new Date(decision.untilMs).toISOString(),
        line: quota?.line ?? '',
        resetParsed: decision.resetParsed,
        pauses: decision.ledger.quotaPauses,
        rule,
      },
      cause,
    );
  } else {
    context.emit(
      'resume-scheduled',
      {
        delayMs: decision.delayMs,
        nextAttempt: state.attempt + 1,
        countsAgainstBudget: decision.countsAgainstBudget,
        budgetSpent: decision.ledger.budgetSpent,
        maxResumes: policy.maxResumes,
        backoffReset: decision.backoffReset,
        rule,
      },
      cause,
    );
  }
  const waited = await waitOut(decision.delayMs, context.stop.signal, context.clock.monotonicNow);
  if (waited === 'stopped') {
    announceStop(context);
    return stoppedEnd(context);
  }
  return undefined;
}
