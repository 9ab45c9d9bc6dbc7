/**
 * What the supervisor does once a loop's watchdog has ended: a pure function
 * over plain data, unit-tested as a truth table.
 */
import { backoffDelayMs, type ReasonCode } from '@runwarden/watchdog';
import type { RestartPolicy } from './config.js';

/** What a loop has spent: restart times within the window, and the backoff exponent. */
export interface RestartLedger {
  /** Unix ms of each restart still inside the give-up window. */
  restarts: number[];
  /** The backoff exponent of the next restart. */
  backoffStep: number;
}

/** How a run ended. */
export interface RunEnd {
  reason: ReasonCode;
  /** How long the run lived, in ms. */
  uptimeMs: number;
  /** Now, Unix ms. */
  nowMs: number;
}

/** The decision of {@link decideRestart}. */
export type RestartDecision =
  | { action: 'restart'; delayMs: number; backoffReset: boolean; ledger: RestartLedger }
  | { action: 'stop'; why: 'completed' | 'policy-never' | 'interrupted'; ledger: RestartLedger }
  | { action: 'fatal'; why: 'give-up' | 'unkillable'; ledger: RestartLedger };

/**
 * Decides what follows the end of a loop's run. The rules, in order:
 *
 * 1. `INTERRUPTED` (the supervisor stopped it) → `stop`;
 * 2. a run that lived `resetAfterMs` resets the backoff and the budget
 *    (systemd's `StartLimitIntervalSec=` window, PM2's stable-run reset);
 *    restarts older than the give-up window are forgotten;
 * 3. `OK` → `restart` only with policy `always`, else `stop` (`completed`);
 * 4. policy `never` → `stop`;
 * 5. `UNKILLABLE` → `fatal`: part of the tree survived SIGKILL, so a second
 *    run could meet the first;
 * 6. `giveUp.restarts` restarts already within the window → `fatal`
 *    (supervisord's `FATAL` after `startretries`, systemd's start limit), so a
 *    loop that dies at once is restarted 5 times, never 90,000;
 * 7. otherwise `restart` after capped exponential backoff with jitter.
 *
 * @param ledger - what the loop spent so far.
 * @param end - how the run ended.
 * @param policy - the loop's restart policy.
 * @param random - a number in [0, 1) for the jitter. @default Math.random
 * @returns the decision and the next ledger.
 */
export function decideRestart(
  ledger: RestartLedger,
  end: RunEnd,
  policy: RestartPolicy,
  random: () => number = Math.random,
): RestartDecision {
  if (end.reason === 'INTERRUPTED') return { action: 'stop', why: 'interrupted', ledger };
  const backoffReset = end.uptimeMs >= policy.resetAfterMs;
  const since = end.nowMs - policy.giveUp.withinMs;
  const kept: RestartLedger = backoffReset
    ? { restarts: [], backoffStep: 0 }
    : { restarts: ledger.restarts.filter((at) => at > since), backoffStep: ledger.backoffStep };
  if (end.reason === 'OK' && policy.policy !== 'always')
    return { action: 'stop', why: 'completed', ledger: kept };
  if (policy.policy === 'never') return { action: 'stop', why: 'policy-never', ledger: kept };
  if (end.reason === 'UNKILLABLE') return { action: 'fatal', why: 'unkillable', ledger: kept };
  if (kept.restarts.length >= policy.giveUp.restarts)
    return { action: 'fatal', why: 'give-up', ledger: kept };
  return {
    action: 'restart',
    delayMs: backoffDelayMs(kept.backoffStep, policy.backoff, random),
    backoffReset,
    ledger: { restarts: [...kept.restarts, end.nowMs], backoffStep: kept.backoffStep + 1 },
  };
}
