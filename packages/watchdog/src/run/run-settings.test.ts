import { describe, expect, it } from 'vitest';
import { WATCHDOG_DEFAULTS } from '../defaults.js';
import { progressPollMsOf, resolveRunSettings, tickMsOf } from './run-settings.js';

const limits = (overrides: Partial<Parameters<typeof tickMsOf>[0]>) => ({
  startupIdleMs: 0,
  idleTimeoutMs: 0,
  progressIdleMs: 0,
  completionGraceMs: 0,
  missionDeadlineMs: Number.POSITIVE_INFINITY,
  ...overrides,
});

describe('tickMsOf', () => {
  it.each([
    [{}, 250],
    [{ idleTimeoutMs: 1_800_000, completionGraceMs: 30_000 }, 250],
    [{ idleTimeoutMs: 400 }, 100],
    [{ idleTimeoutMs: 1_800_000, startupIdleMs: 200 }, 50],
    [{ progressIdleMs: 20 }, 10],
  ])('windows %j tick every %i ms', (windows, tickMs) => {
    expect(tickMsOf(limits(windows))).toBe(tickMs);
  });
});

describe('progressPollMsOf', () => {
  it.each([
    [undefined, 0, WATCHDOG_DEFAULTS.progressPollMs],
    [undefined, 60_000, WATCHDOG_DEFAULTS.progressPollMs],
    [undefined, 2000, 500],
    [undefined, 20, 10],
    [50, 60_000, 50],
  ])('configured %s with progressIdleMs %i polls every %i ms', (configured, idle, pollMs) => {
    expect(progressPollMsOf(configured, idle)).toBe(pollMs);
  });
});

describe('resolveRunSettings', () => {
  it('fills every default from WATCHDOG_DEFAULTS and counts the mission from the start', () => {
    const settings = resolveRunSettings(
      { command: 'agent', runDir: 'run', cwd: '/work', runId: 'r1', missionTimeoutMs: 1000 },
      5000,
    );
    expect(settings).toMatchObject({
      runId: 'r1',
      runDir: `${process.cwd()}/run`,
      cwd: '/work',
      missionTimeoutMs: 1000,
      limits: {
        idleTimeoutMs: WATCHDOG_DEFAULTS.idleTimeoutMs,
        startupIdleMs: WATCHDOG_DEFAULTS.idleTimeoutMs,
        progressIdleMs: WATCHDOG_DEFAULTS.progressIdleMs,
        completionGraceMs: WATCHDOG_DEFAULTS.completionGraceMs,
        missionDeadlineMs: 6000,
      },
      policy: {
        maxResumes: WATCHDOG_DEFAULTS.maxResumes,
        backoffResetMs: WATCHDOG_DEFAULTS.backoffResetMs,
        hasProgressSource: false,
        resumeOn: [...WATCHDOG_DEFAULTS.resumeOn.withoutPredicate],
        quota: undefined,
      },
      killGraceMs: WATCHDOG_DEFAULTS.killGraceMs,
      hasPredicate: false,
      quotaPattern: undefined,
      adoptPollMs: WATCHDOG_DEFAULTS.adoptPollMs,
      progressPollMs: WATCHDOG_DEFAULTS.progressPollMs,
    });
    expect(settings.baseEnv.RUNWARDEN_RUN_ID).toBe('r1');
  });

  it('takes the quota defaults, its pattern, and the predicate rules when they are asked for', () => {
    const settings = resolveRunSettings(
      { command: 'agent', runDir: 'run', doneFile: 'DONE', cwd: '/work', quota: {} },
      0,
    );
    expect(settings).toMatchObject({
      doneFile: '/work/DONE',
      hasPredicate: true,
      quotaPattern: WATCHDOG_DEFAULTS.quota.pattern,
      limits: { missionDeadlineMs: Number.POSITIVE_INFINITY },
      policy: {
        resumeOn: [...WATCHDOG_DEFAULTS.resumeOn.withPredicate],
        quota: {
          fallbackPauseMs: WATCHDOG_DEFAULTS.quota.fallbackPauseMs,
          maxPauseMs: WATCHDOG_DEFAULTS.quota.maxPauseMs,
          marginMs: WATCHDOG_DEFAULTS.quota.marginMs,
          maxPauses: WATCHDOG_DEFAULTS.quota.maxPauses,
        },
      },
    });
    expect(
      resolveRunSettings({ command: 'a', runDir: 'r', quota: { pattern: 'limit' } }, 0)
        .quotaPattern,
    ).toEqual(/limit/i);
  });
});
