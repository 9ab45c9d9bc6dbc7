/**
 * Why an attempt died, decided from plain data: its end (an exit, or the
 * liveness verdict that ended it) and how its process ended. Pure, tested as
 * a truth table; the attempt loop only gathers the facts.
 */
import type { ReasonCode } from '../reasons.js';
import {
  type DeathFacts,
  type ResumeDecision,
  type ResumeRule,
  ruleOfDeath,
} from '../resume-policy.js';

/** How a process ended: exit code or signal (`null` fields when it is not known, e.g. an adopted process). */
export type ProcessExit = { code: number | null; signal: NodeJS.Signals | null };

/** How an attempt that was not stopped by runwarden ended: by itself, or by a liveness verdict. */
export type DeathEnd =
  | 'exit'
  | 'startup-idle'
  | 'output-idle'
  | 'progress-idle'
  | 'completed-alive';

/** What {@link classifyDeath} decides. */
export interface DeathVerdict {
  /** The reason the attempt ended before completion. */
  cause: DeathFacts['cause'];
  /** The kind of death, matched against `resumeOn` ({@link ruleOfDeath}). */
  rule: ResumeRule;
  /** False when a retry cannot help: the command could not be run (exit 126 or 127, sh(1)'s "not executable" and "not found"). */
  retryable: boolean;
  /** The `cause` of the `died` journal event: how it exited, or the verdict that ended it. */
  label: string;
}

/**
 * Classifies the death of an attempt that ended before completion. The
 * rules: an idle or progress timeout is `IDLE_TIMEOUT`, a startup timeout
 * `STARTUP_TIMEOUT` (both the rule `hang`); completion seen but the process
 * lingering past its grace, or exit 0 without the completion predicate, is
 * `FALSE_SUCCESS` (`exit-0`); any other exit is `CHILD_FAILED` (`signal` when
 * killed by one or when its end is unknown, else `failure`).
 *
 * @param death - how the attempt ended, and how its process ended (`null` when there was none).
 * @returns the cause, the rule, whether a retry can help, and the journal label.
 */
export function classifyDeath(death: { end: DeathEnd; exit: ProcessExit | null }): DeathVerdict {
  const { end, exit } = death;
  const cause: DeathFacts['cause'] =
    end === 'output-idle' || end === 'progress-idle'
      ? 'IDLE_TIMEOUT'
      : end === 'startup-idle'
        ? 'STARTUP_TIMEOUT'
        : end === 'completed-alive' || exit?.code === 0
          ? 'FALSE_SUCCESS'
          : 'CHILD_FAILED';
  return {
    cause,
    rule: ruleOfDeath({ cause, exit }),
    retryable: !(end === 'exit' && (exit?.code === 126 || exit?.code === 127)),
    label: end === 'exit' ? describeExit(exit?.code ?? null, exit?.signal ?? null) : end,
  };
}

/**
 * How a process ended, for people.
 *
 * @param code - its exit code, `null` when it has none.
 * @param signal - the signal that killed it, `null` when none did.
 * @returns `killed by SIGKILL`, `exited 3` or `gone`.
 */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `killed by ${signal}`;
  if (code === null) return 'gone';
  return `exited ${code}`;
}

/**
 * A death's cause, for people: `went idle`, `never printed`, `exited 0 without completing`, `exited 1`.
 *
 * @param cause - the reason code of the death.
 * @param exit - how its process ended.
 * @returns the words after the command's name.
 */
export function describeCause(cause: ReasonCode, exit: ProcessExit | null): string {
  switch (cause) {
    case 'IDLE_TIMEOUT':
      return 'went idle';
    case 'STARTUP_TIMEOUT':
      return 'never printed';
    case 'FALSE_SUCCESS':
      return `${describeExit(exit?.code ?? 0, exit?.signal ?? null)} without completing`;
    default:
      return describeExit(exit?.code ?? null, exit?.signal ?? null);
  }
}

/**
 * The result message of a death that ends the run without a resume.
 *
 * @param failure - the command, the death's cause and rule, how its process ended,
 *   why it is not resumed, and the rules in force.
 * @returns one line for people.
 */
export function failureMessage(failure: {
  command: string;
  cause: ReasonCode;
  exit: ProcessExit | null;
  why: Extract<ResumeDecision, { action: 'fail' }>['why'];
  rule: ResumeRule;
  resumeOn: readonly ResumeRule[];
}): string {
  const description = `${failure.command} ${describeCause(failure.cause, failure.exit)}`;
  switch (failure.why) {
    case 'not-retryable':
      return `${description}: the command could not be run; not retried.`;
    case 'not-in-resume-on':
      return `${description}; not resumed (${failure.rule} is not in resume-on: ${failure.resumeOn.join(',') || 'none'}).`;
    default:
      return `${description}; no resumes allowed.`;
  }
}
