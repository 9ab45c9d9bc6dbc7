import { describe, expect, it } from 'vitest';
import { type AttemptTimes, judgeLiveness, type LivenessLimits } from './liveness.js';

const MIN = 60_000;
const limits: LivenessLimits = {
  startupIdleMs: 5 * MIN,
  idleTimeoutMs: 30 * MIN,
  progressIdleMs: 0,
  completionGraceMs: 30_000,
  missionDeadlineMs: Number.POSITIVE_INFINITY,
};
const times = (extra: Partial<AttemptTimes> = {}): AttemptTimes => ({
  startedAtMs: 0,
  watchesOutput: true,
  watchesProgress: false,
  ...extra,
});

describe('judgeLiveness', () => {
  it.each([
    ['silence from the start, inside the startup window', times(), limits, 5 * MIN - 1, 'alive'],
    ['silence from the start, past the startup window', times(), limits, 5 * MIN, 'startup-idle'],
    [
      'a long legitimate pause, shorter than the idle window',
      times({ firstOutputAtMs: 1000, lastOutputAtMs: 10 * MIN }),
      limits,
      39 * MIN,
      'alive',
    ],
    [
      'a silent hang after output',
      times({ firstOutputAtMs: 1000, lastOutputAtMs: 10 * MIN }),
      limits,
      40 * MIN,
      'output-idle',
    ],
    [
      'the startup window no longer applies once output came',
      times({ firstOutputAtMs: 1000, lastOutputAtMs: 1000 }),
      limits,
      6 * MIN,
      'alive',
    ],
    [
      'output idle off',
      times({ firstOutputAtMs: 1, lastOutputAtMs: 1 }),
      { ...limits, idleTimeoutMs: 0 },
      24 * 60 * MIN,
      'alive',
    ],
    [
      'talks but makes no progress',
      times({ firstOutputAtMs: 1, lastOutputAtMs: 59 * MIN, watchesProgress: true }),
      { ...limits, progressIdleMs: 15 * MIN },
      15 * MIN,
      'progress-idle',
    ],
    [
      'progress within the progress window',
      times({
        firstOutputAtMs: 1,
        lastOutputAtMs: 20 * MIN,
        watchesProgress: true,
        lastProgressAtMs: 10 * MIN,
      }),
      { ...limits, progressIdleMs: 15 * MIN },
      24 * MIN,
      'alive',
    ],
    [
      'an adopted process without an output file is judged by progress only',
      times({ watchesOutput: false }),
      limits,
      365 * 24 * 60 * MIN,
      'alive',
    ],
    [
      'past the mission deadline',
      times({ firstOutputAtMs: 1, lastOutputAtMs: 2 * 60 * MIN }),
      { ...limits, missionDeadlineMs: 2 * 60 * MIN },
      2 * 60 * MIN,
      'mission-timeout',
    ],
    [
      'the result printed, the process lingers past the grace',
      times({ firstOutputAtMs: 1, lastOutputAtMs: 10, completionSeenAtMs: 10 }),
      { ...limits, missionDeadlineMs: 20_000 },
      30_010,
      'completed-alive',
    ],
    [
      'the result printed, inside the grace',
      times({ firstOutputAtMs: 1, lastOutputAtMs: 10, completionSeenAtMs: 10 }),
      limits,
      30_009,
      'alive',
    ],
  ])('%s', (_name, attempt, windows, now, state) => {
    expect(judgeLiveness(attempt, windows, now).state).toBe(state);
  });

  it('says when to look again: the nearest deadline', () => {
    expect(
      judgeLiveness(
        times({
          firstOutputAtMs: 0,
          lastOutputAtMs: 60_000,
          watchesProgress: true,
          lastProgressAtMs: 0,
        }),
        { ...limits, progressIdleMs: 10 * MIN, missionDeadlineMs: 3 * 60 * MIN },
        2 * MIN,
      ),
    ).toEqual({ state: 'alive', nextCheckInMs: 8 * MIN });
  });

  it('reports how long it was silent', () => {
    expect(
      judgeLiveness(times({ firstOutputAtMs: 5, lastOutputAtMs: 100 }), limits, 31 * MIN),
    ).toEqual({
      state: 'output-idle',
      silentMs: 31 * MIN - 100,
    });
  });
});
