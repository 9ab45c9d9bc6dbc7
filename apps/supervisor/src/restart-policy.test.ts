import { describe, expect, it } from 'vitest';
import type { RestartPolicy } from './config.js';
import { decideRestart } from './restart-policy.js';

const policy: RestartPolicy = {
  policy: 'on-failure',
  backoff: { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0 },
  resetAfterMs: 600_000,
  giveUp: { restarts: 5, withinMs: 1_800_000 },
};
const empty = { restarts: [], backoffStep: 0 };
const now = 10_000_000;
const died = { reason: 'RESUME_BUDGET_EXHAUSTED' as const, uptimeMs: 2000, nowMs: now };

describe('decideRestart', () => {
  it('restarts a failed run after capped exponential backoff', () => {
    let ledger = { restarts: [] as number[], backoffStep: 0 };
    const delays: number[] = [];
    for (let index = 0; index < 5; index++) {
      const decision = decideRestart(ledger, { ...died, nowMs: now + index }, policy);
      expect(decision.action).toBe('restart');
      if (decision.action !== 'restart') return;
      delays.push(decision.delayMs);
      ledger = decision.ledger;
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('gives up (fatal) once the restarts within the window reach the budget', () => {
    const ledger = { restarts: [now - 5, now - 4, now - 3, now - 2, now - 1], backoffStep: 5 };
    expect(decideRestart(ledger, died, policy)).toMatchObject({ action: 'fatal', why: 'give-up' });
  });

  it('forgets restarts older than the window', () => {
    const old = now - 1_800_001;
    const decision = decideRestart(
      { restarts: [old, old, old, old, old], backoffStep: 5 },
      died,
      policy,
    );
    expect(decision).toMatchObject({ action: 'restart', ledger: { restarts: [now] } });
  });

  it('resets the backoff and the budget after a run that lived resetAfter', () => {
    const ledger = { restarts: [now - 5, now - 4, now - 3, now - 2, now - 1], backoffStep: 5 };
    expect(decideRestart(ledger, { ...died, uptimeMs: 600_000 }, policy)).toMatchObject({
      action: 'restart',
      delayMs: 1000,
      backoffReset: true,
      ledger: { restarts: [now], backoffStep: 1 },
    });
  });

  it('stops after OK unless the policy is always; never restarts with never', () => {
    const ok = { ...died, reason: 'OK' as const };
    expect(decideRestart(empty, ok, policy)).toMatchObject({ action: 'stop', why: 'completed' });
    expect(decideRestart(empty, ok, { ...policy, policy: 'always' })).toMatchObject({
      action: 'restart',
    });
    expect(decideRestart(empty, died, { ...policy, policy: 'never' })).toMatchObject({
      action: 'stop',
      why: 'policy-never',
    });
  });

  it('never restarts an interrupted run, and calls an unkillable tree fatal', () => {
    expect(decideRestart(empty, { ...died, reason: 'INTERRUPTED' }, policy)).toMatchObject({
      action: 'stop',
      why: 'interrupted',
    });
    expect(decideRestart(empty, { ...died, reason: 'UNKILLABLE' }, policy)).toMatchObject({
      action: 'fatal',
      why: 'unkillable',
    });
  });
});
