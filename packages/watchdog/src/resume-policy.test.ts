import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RESUME_ON,
  type DeathFacts,
  decideAfterDeath,
  EMPTY_LEDGER,
  RESUME_RULES,
  type ResumeLedger,
  type ResumePolicy,
  resolveResumeOn,
  ruleOfDeath,
} from './resume-policy.js';

const MIN = 60_000;
const policy: ResumePolicy = {
  maxResumes: 2,
  backoff: { initialMs: 1000, maxMs: 300_000, factor: 2, jitter: 0 },
  backoffResetMs: 10 * MIN,
  hasProgressSource: true,
  resumeOn: RESUME_RULES,
  quota: { fallbackPauseMs: 15 * MIN, maxPauseMs: 6 * 60 * MIN, marginMs: 30_000, maxPauses: 2 },
};
const death = (extra: Partial<DeathFacts> = {}): DeathFacts => ({
  cause: 'CHILD_FAILED',
  rule: 'failure',
  retryable: true,
  progressed: false,
  uptimeMs: 30_000,
  nowMs: Date.parse('2026-11-26T12:00:00Z'),
  ...extra,
});
const ledger = (extra: Partial<ResumeLedger> = {}): ResumeLedger => ({ ...EMPTY_LEDGER, ...extra });

describe('decideAfterDeath', () => {
  it('resumes after 1 s, then 2 s, counting resumes without progress against the budget', () => {
    const first = decideAfterDeath(ledger(), death(), policy);
    expect(first).toMatchObject({ action: 'resume', delayMs: 1000, countsAgainstBudget: true });
    if (first.action !== 'resume') throw new Error('unreachable');
    const second = decideAfterDeath(first.ledger, death(), policy);
    expect(second).toMatchObject({ action: 'resume', delayMs: 2000, countsAgainstBudget: true });
    if (second.action !== 'resume') throw new Error('unreachable');
    expect(second.ledger.budgetSpent).toBe(2);
    expect(decideAfterDeath(second.ledger, death(), policy)).toMatchObject({
      action: 'handoff',
      reason: 'RESUME_BUDGET_EXHAUSTED',
    });
  });

  it('does not spend the budget when a progress source moved: crash N times then stable', () => {
    let current = ledger({ budgetSpent: 2 });
    for (let crash = 0; crash < 10; crash++) {
      const decision = decideAfterDeath(current, death({ progressed: true }), policy);
      expect(decision).toMatchObject({ action: 'resume', countsAgainstBudget: false });
      if (decision.action !== 'resume') throw new Error('unreachable');
      current = decision.ledger;
    }
    expect(current.budgetSpent).toBe(2);
  });

  it('counts every resume when no progress source is configured, output or not', () => {
    const decision = decideAfterDeath(ledger({ budgetSpent: 2 }), death({ progressed: true }), {
      ...policy,
      hasProgressSource: false,
    });
    expect(decision.action).toBe('handoff');
  });

  it('caps the backoff at 5 minutes', () => {
    expect(
      decideAfterDeath(ledger({ backoffStep: 30 }), death(), { ...policy, maxResumes: 99 }),
    ).toMatchObject({
      delayMs: 300_000,
    });
  });

  it('resets the backoff after 10 minutes of progress, summed over progressing attempts', () => {
    const start = ledger({ backoffStep: 8, progressStreakMs: 9 * MIN });
    const short = decideAfterDeath(start, death({ progressed: true, uptimeMs: 30_000 }), policy);
    expect(short).toMatchObject({ action: 'resume', delayMs: 256_000, backoffReset: false });
    const long = decideAfterDeath(start, death({ progressed: true, uptimeMs: MIN }), policy);
    expect(long).toMatchObject({ action: 'resume', delayMs: 1000, backoffReset: true });
    if (long.action !== 'resume') throw new Error('unreachable');
    expect(long.ledger).toMatchObject({ backoffStep: 1, progressStreakMs: 0 });
  });

  it('a death without progress breaks the streak', () => {
    const decision = decideAfterDeath(
      ledger({ backoffStep: 3, progressStreakMs: 9 * MIN }),
      death({ uptimeMs: 5 * MIN }),
      policy,
    );
    expect(decision).toMatchObject({
      action: 'resume',
      delayMs: 8000,
      ledger: { progressStreakMs: 0 },
    });
  });

  it('with no progress source, one stable attempt of 10 minutes resets the backoff (PM2-like)', () => {
    expect(
      decideAfterDeath(ledger({ backoffStep: 5 }), death({ uptimeMs: 10 * MIN }), {
        ...policy,
        hasProgressSource: false,
      }),
    ).toMatchObject({ delayMs: 1000, backoffReset: true });
  });

  it('pauses for a quota until the parsed reset time plus the margin, without spending anything', () => {
    const nowMs = Date.parse('2026-11-26T12:00:00Z');
    const decision = decideAfterDeath(
      ledger({ budgetSpent: 2, backoffStep: 4 }),
      death({ quota: { line: 'limit reached ∙ resets 1pm', resetAtMs: nowMs + 60 * MIN }, nowMs }),
      policy,
    );
    expect(decision).toEqual({
      action: 'quota-pause',
      delayMs: 60 * MIN + 30_000,
      untilMs: nowMs + 60 * MIN + 30_000,
      resetParsed: true,
      ledger: { budgetSpent: 2, backoffStep: 4, progressStreakMs: 0, quotaPauses: 1 },
    });
  });

  it('waits the fallback when the quota message has no reset time, and caps a far one', () => {
    const nowMs = Date.parse('2026-11-26T12:00:00Z');
    expect(
      decideAfterDeath(ledger(), death({ quota: { line: 'rate limit reached' }, nowMs }), policy),
    ).toMatchObject({
      action: 'quota-pause',
      delayMs: 15 * MIN,
      resetParsed: false,
    });
    expect(
      decideAfterDeath(
        ledger(),
        death({ quota: { line: 'x', resetAtMs: nowMs + 48 * 60 * MIN }, nowMs }),
        policy,
      ),
    ).toMatchObject({ delayMs: 6 * 60 * MIN });
  });

  it('after maxPauses a quota death is an ordinary death', () => {
    expect(
      decideAfterDeath(
        ledger({ quotaPauses: 2 }),
        death({ quota: { line: 'usage limit' } }),
        policy,
      ),
    ).toMatchObject({ action: 'resume', countsAgainstBudget: true });
  });

  it('fails at once for a command that cannot run, and reports the cause when resumes are off', () => {
    expect(decideAfterDeath(ledger(), death({ retryable: false }), policy)).toEqual({
      action: 'fail',
      reason: 'CHILD_FAILED',
      why: 'not-retryable',
    });
    expect(
      decideAfterDeath(ledger(), death({ cause: 'IDLE_TIMEOUT', quota: { line: 'usage limit' } }), {
        ...policy,
        maxResumes: 0,
      }),
    ).toEqual({ action: 'fail', reason: 'IDLE_TIMEOUT', why: 'resumes-disabled' });
  });
});

describe('resumeOn (systemd Restart= vocabulary)', () => {
  const ciPolicy: ResumePolicy = { ...policy, resumeOn: resolveResumeOn(undefined, false) };

  it('defaults to hang,signal without a completion predicate and to all four with one', () => {
    expect(resolveResumeOn(undefined, false)).toEqual(['hang', 'signal']);
    expect(resolveResumeOn(undefined, true)).toEqual(['hang', 'signal', 'exit-0', 'failure']);
    expect(DEFAULT_RESUME_ON).toEqual({
      withoutPredicate: ['hang', 'signal'],
      withPredicate: ['hang', 'signal', 'exit-0', 'failure'],
    });
    expect(resolveResumeOn(['failure', 'hang', 'failure'], true)).toEqual(['hang', 'failure']);
    expect(resolveResumeOn([], true)).toEqual([]);
  });

  it('names the rule of each death', () => {
    const exit = (code: number | null, signal: NodeJS.Signals | null = null) => ({ code, signal });
    expect(ruleOfDeath({ cause: 'IDLE_TIMEOUT', exit: exit(null, 'SIGTERM') })).toBe('hang');
    expect(ruleOfDeath({ cause: 'STARTUP_TIMEOUT', exit: null })).toBe('hang');
    expect(ruleOfDeath({ cause: 'CHILD_FAILED', exit: exit(null, 'SIGKILL') })).toBe('signal');
    expect(ruleOfDeath({ cause: 'CHILD_FAILED', exit: exit(null) })).toBe('signal');
    expect(ruleOfDeath({ cause: 'FALSE_SUCCESS', exit: exit(0) })).toBe('exit-0');
    expect(ruleOfDeath({ cause: 'CHILD_FAILED', exit: exit(1) })).toBe('failure');
    expect(ruleOfDeath({ cause: 'CHILD_FAILED', exit: exit(137) })).toBe('failure');
  });

  it('ends a CI job at its first failure: exit 1 is CHILD_FAILED, not 20 resumes', () => {
    expect(decideAfterDeath(ledger(), death(), ciPolicy)).toEqual({
      action: 'fail',
      reason: 'CHILD_FAILED',
      why: 'not-in-resume-on',
    });
  });

  it('still resumes a hang or a signal death by default', () => {
    expect(
      decideAfterDeath(ledger(), death({ cause: 'IDLE_TIMEOUT', rule: 'hang' }), ciPolicy),
    ).toMatchObject({ action: 'resume' });
    expect(decideAfterDeath(ledger(), death({ rule: 'signal' }), ciPolicy)).toMatchObject({
      action: 'resume',
    });
  });

  it('ends exit 0 without the predicate as FALSE_SUCCESS when exit-0 is left out', () => {
    expect(
      decideAfterDeath(ledger(), death({ cause: 'FALSE_SUCCESS', rule: 'exit-0' }), {
        ...policy,
        resumeOn: ['hang', 'signal', 'failure'],
      }),
    ).toEqual({ action: 'fail', reason: 'FALSE_SUCCESS', why: 'not-in-resume-on' });
  });

  it('pauses for a quota message whatever resumeOn says', () => {
    expect(
      decideAfterDeath(ledger(), death({ quota: { line: 'usage limit' } }), {
        ...policy,
        resumeOn: [],
      }),
    ).toMatchObject({ action: 'quota-pause' });
  });
});
