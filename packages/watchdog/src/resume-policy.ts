/**
 * What to do after an attempt died before completion: resume after backoff,
 * pause for a quota, hand off, or fail. A pure function over plain data (the
 * ledger, the facts of the death, the policy), unit-tested as a truth table.
 */
import { type BackoffOptions, backoffDelayMs } from './backoff.js';
import { WATCHDOG_DEFAULTS } from './defaults.js';
import type { ReasonCode } from './reasons.js';

/**
 * The kinds of death a run may be resumed after, in systemd's `Restart=`
 * vocabulary (systemd.service(5)): `hang` (an idle, startup or progress
 * timeout: systemd's `timeout`/`watchdog`), `signal` (killed by a signal: the
 * OOM killer, a SIGKILL; an adopted process whose end we could not read counts
 * here too), `exit-0` (exit 0 without the completion predicate: an agent that
 * ended its turn; also a DONE file or marker whose check then failed) and
 * `failure` (any other non-zero exit: systemd's `on-failure` exit codes).
 */
export const RESUME_RULES = ['hang', 'signal', 'exit-0', 'failure'] as const;

/** One of {@link RESUME_RULES}. */
export type ResumeRule = (typeof RESUME_RULES)[number];

/**
 * The default `resumeOn`. Without a completion predicate the command's exit
 * code is its verdict (a CI job: exit 1 is `CHILD_FAILED` at once), so only
 * what a resume can fix is resumed, like systemd's `Restart=on-abnormal`.
 * With one (`doneFile`, `doneMarker`, `checkCommand`, `isComplete`: an agent
 * loop) every death before completion is resumed, like `Restart=always`.
 */
export const DEFAULT_RESUME_ON: Readonly<{
  withoutPredicate: readonly ResumeRule[];
  withPredicate: readonly ResumeRule[];
}> = WATCHDOG_DEFAULTS.resumeOn;

/**
 * The resume rules in force: `resumeOn` as given, else {@link DEFAULT_RESUME_ON}.
 *
 * @param resumeOn - the rules the caller gave, if any.
 * @param hasPredicate - whether a completion predicate is set.
 * @returns the rules, in {@link RESUME_RULES} order, without duplicates.
 */
export function resolveResumeOn(
  resumeOn: readonly ResumeRule[] | undefined,
  hasPredicate: boolean,
): ResumeRule[] {
  const chosen =
    resumeOn ??
    (hasPredicate ? DEFAULT_RESUME_ON.withPredicate : DEFAULT_RESUME_ON.withoutPredicate);
  return RESUME_RULES.filter((rule) => chosen.includes(rule));
}

/**
 * The rule a death falls under (see {@link RESUME_RULES}).
 *
 * @param death - why the attempt ended, and how its process ended (`null` fields when it is not known).
 * @returns the rule.
 */
export function ruleOfDeath(death: {
  cause: DeathFacts['cause'];
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
}): ResumeRule {
  if (death.cause === 'IDLE_TIMEOUT' || death.cause === 'STARTUP_TIMEOUT') return 'hang';
  if (death.cause === 'FALSE_SUCCESS') return 'exit-0';
  if (death.exit === null || death.exit.signal !== null || death.exit.code === null)
    return 'signal';
  return death.exit.code === 0 ? 'exit-0' : 'failure';
}

/** The resume policy, resolved from the options. */
export interface ResumePolicy {
  /** Resumes without progress allowed; `0` turns resuming off altogether. */
  maxResumes: number;
  /** Backoff between resumes. */
  backoff: BackoffOptions;
  /** Progress (or, with no progress source, uptime) this long resets the backoff, in ms. */
  backoffResetMs: number;
  /** Whether any progress source (watched file, heartbeat file, completion check) is configured. */
  hasProgressSource: boolean;
  /** The kinds of death that are resumed ({@link resolveResumeOn}); any other ends the run with its cause. */
  resumeOn: readonly ResumeRule[];
  /** Quota pauses; absent when no quota pattern is configured. */
  quota?: {
    /** The pause when the message gives no reset time, in ms. */
    fallbackPauseMs: number;
    /** The longest pause, in ms, whatever the message says. */
    maxPauseMs: number;
    /** Added after a parsed reset time, in ms (clock skew, the provider's own rounding). */
    marginMs: number;
    /** Quota pauses allowed in one run; past them a quota death is an ordinary death. */
    maxPauses: number;
  };
}

/** What the run has spent so far; {@link decideAfterDeath} returns the next one. */
export interface ResumeLedger {
  /** Resumes that counted against `maxResumes` (those after a death without progress). */
  budgetSpent: number;
  /** The backoff exponent for the next resume. */
  backoffStep: number;
  /** Sum of the uptimes of the consecutive attempts that made progress, in ms. */
  progressStreakMs: number;
  /** Quota pauses taken. */
  quotaPauses: number;
}

/** A fresh ledger. */
export const EMPTY_LEDGER: ResumeLedger = Object.freeze({
  budgetSpent: 0,
  backoffStep: 0,
  progressStreakMs: 0,
  quotaPauses: 0,
});

/** What is known of one death. */
export interface DeathFacts {
  /** The reason the attempt ended before completion. */
  cause: Extract<ReasonCode, 'CHILD_FAILED' | 'FALSE_SUCCESS' | 'IDLE_TIMEOUT' | 'STARTUP_TIMEOUT'>;
  /** The kind of death ({@link ruleOfDeath}), matched against the policy's `resumeOn`. */
  rule: ResumeRule;
  /** False for deaths a retry cannot help (the command could not be run: spawn error, exit 126/127). */
  retryable: boolean;
  /** A progress source moved since the previous resume (or since the start). Output alone is not progress. */
  progressed: boolean;
  /** How long the attempt lived, in ms. */
  uptimeMs: number;
  /** The quota message of this attempt, with its parsed reset instant (Unix ms) when it had one. */
  quota?: { line: string; resetAtMs?: number };
  /** Now, Unix ms (for the quota reset time). */
  nowMs: number;
}

/** The decision of {@link decideAfterDeath}, with the ledger to carry on with. */
export type ResumeDecision =
  | {
      action: 'fail';
      reason: ReasonCode;
      why: 'resumes-disabled' | 'not-retryable' | 'not-in-resume-on';
    }
  | { action: 'handoff'; reason: 'RESUME_BUDGET_EXHAUSTED'; ledger: ResumeLedger }
  | {
      action: 'quota-pause';
      delayMs: number;
      untilMs: number;
      resetParsed: boolean;
      ledger: ResumeLedger;
    }
  | {
      action: 'resume';
      delayMs: number;
      countsAgainstBudget: boolean;
      backoffReset: boolean;
      ledger: ResumeLedger;
    };

/**
 * Decides what follows a death before completion. The rules, in order:
 *
 * 1. not retryable → `fail` with the cause (`CHILD_FAILED`);
 * 2. `maxResumes` 0 → `fail` with the cause (resuming is off);
 * 3. a quota message while pauses are left → `quota-pause` until the reset
 *    time plus the margin (capped at `maxPauseMs`), or the fallback pause when
 *    no future reset time was given; neither the budget nor the backoff moves
 *    (a quota pause is asked for by its own option, whatever `resumeOn` says);
 * 4. the death's rule is not in `resumeOn` → `fail` with the cause (systemd's
 *    `Restart=`: a CI job's exit 1 is final);
 * 5. the resume counts against the budget unless a progress source moved
 *    since the previous resume (with no progress source every resume counts,
 *    so an agent that prints an error and exits cannot loop forever); a
 *    counting resume with the budget spent → `handoff`
 *    (`RESUME_BUDGET_EXHAUSTED`);
 * 6. otherwise `resume` after capped exponential backoff with jitter; the
 *    backoff starts over once the progress streak (the summed uptime of
 *    consecutive attempts that made progress; with no progress source, one
 *    attempt's uptime) reaches `backoffResetMs` (PM2 resets its
 *    `exp_backoff_restart_delay` the same way after a stable run).
 *
 * @param ledger - what the run has spent so far.
 * @param facts - the death.
 * @param policy - the resolved policy.
 * @param random - a number in [0, 1) for the jitter. @default Math.random
 * @returns the decision and the next ledger.
 */
export function decideAfterDeath(
  ledger: ResumeLedger,
  facts: DeathFacts,
  policy: ResumePolicy,
  random: () => number = Math.random,
): ResumeDecision {
  if (!facts.retryable) return { action: 'fail', reason: 'CHILD_FAILED', why: 'not-retryable' };
  if (policy.maxResumes === 0)
    return { action: 'fail', reason: facts.cause, why: 'resumes-disabled' };

  if (facts.quota && policy.quota && ledger.quotaPauses < policy.quota.maxPauses) {
    const { resetAtMs } = facts.quota;
    const resetParsed = resetAtMs !== undefined && resetAtMs > facts.nowMs;
    const delayMs = resetParsed
      ? Math.min(policy.quota.maxPauseMs, resetAtMs - facts.nowMs + policy.quota.marginMs)
      : policy.quota.fallbackPauseMs;
    return {
      action: 'quota-pause',
      delayMs,
      untilMs: facts.nowMs + delayMs,
      resetParsed,
      ledger: { ...ledger, quotaPauses: ledger.quotaPauses + 1 },
    };
  }

  if (!policy.resumeOn.includes(facts.rule))
    return { action: 'fail', reason: facts.cause, why: 'not-in-resume-on' };

  const madeProgress = policy.hasProgressSource && facts.progressed;
  const countsAgainstBudget = !madeProgress;
  if (countsAgainstBudget && ledger.budgetSpent >= policy.maxResumes) {
    return { action: 'handoff', reason: 'RESUME_BUDGET_EXHAUSTED', ledger };
  }
  const streak = policy.hasProgressSource
    ? madeProgress
      ? ledger.progressStreakMs + facts.uptimeMs
      : 0
    : facts.uptimeMs;
  const backoffReset = streak >= policy.backoffResetMs;
  const step = backoffReset ? 0 : ledger.backoffStep;
  return {
    action: 'resume',
    delayMs: backoffDelayMs(step, policy.backoff, random),
    countsAgainstBudget,
    backoffReset,
    ledger: {
      ...ledger,
      budgetSpent: ledger.budgetSpent + (countsAgainstBudget ? 1 : 0),
      backoffStep: step + 1,
      progressStreakMs: backoffReset ? 0 : policy.hasProgressSource ? streak : 0,
    },
  };
}
