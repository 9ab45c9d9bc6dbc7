import { describe, expect, it } from 'vitest';
import { judgePulse, PULSE_STALL_INTERVALS, pulseFrom, type WatchdogPulse } from './pulse.js';

const pulse = (fields: Partial<WatchdogPulse>): WatchdogPulse => ({
  phase: 'watching',
  atMs: 10_000,
  intervalMs: 250,
  attempt: 1,
  lastOutputAtMs: null,
  missionDeadlineAtMs: null,
  watchesOutput: true,
  watchesProgress: false,
  ...fields,
});

describe('judgePulse', () => {
  it('calls a watching ticker stalled only after 3 of its intervals without a pulse', () => {
    expect(PULSE_STALL_INTERVALS).toBe(3);
    expect(judgePulse(pulse({}), 10_750)).toEqual({ state: 'ticking', silentMs: 750 });
    expect(judgePulse(pulse({}), 10_751)).toEqual({
      state: 'stalled',
      silentMs: 751,
      limitMs: 750,
    });
    expect(judgePulse(pulse({ intervalMs: 1000 }), 12_900).state).toBe('ticking');
  });

  it('expects no tick between attempts', () => {
    expect(judgePulse(pulse({ phase: 'between', intervalMs: 0 }), 70_000)).toEqual({
      state: 'between',
      silentMs: 60_000,
    });
  });
});

describe('pulseFrom', () => {
  it('turns the monotonic times into wall-clock ms', () => {
    const before = Date.now();
    const made = pulseFrom({
      phase: 'watching',
      intervalMs: 250,
      attempt: 2,
      lastOutputAtPerfMs: performance.now() - 5000,
      missionDeadlinePerfMs: performance.now() + 60_000,
      watchesOutput: true,
      watchesProgress: true,
    });
    expect(made.atMs).toBeGreaterThanOrEqual(before);
    expect(Math.abs(made.atMs - 5000 - made.lastOutputAtMs!)).toBeLessThan(50);
    expect(Math.abs(made.missionDeadlineAtMs! - made.atMs - 60_000)).toBeLessThan(50);
    const none = pulseFrom({
      phase: 'between',
      intervalMs: 0,
      attempt: 1,
      lastOutputAtPerfMs: undefined,
      missionDeadlinePerfMs: Number.POSITIVE_INFINITY,
      watchesOutput: false,
      watchesProgress: false,
    });
    expect(none).toMatchObject({ lastOutputAtMs: null, missionDeadlineAtMs: null });
  });
});
