import { afterEach, describe, expect, it, vi } from 'vitest';
import { serviceFailure } from '../stop-reason.js';
import { RunStop, type StopFacts, stopEventOf, stopOutcome } from './stop.js';

const stopped = (overrides: Partial<StopFacts>): StopFacts => ({
  kind: undefined,
  detail: '',
  missionTimeoutMs: 60_000,
  ...overrides,
});

describe('stopOutcome and stopEventOf', () => {
  it.each<
    [string, Partial<StopFacts>, ReturnType<typeof stopOutcome>, ReturnType<typeof stopEventOf>]
  >([
    [
      'an interrupt',
      { kind: 'interrupted' },
      { reason: 'INTERRUPTED', message: 'Interrupted; the tree was ended.' },
      { type: 'interrupted', data: {}, reason: 'INTERRUPTED' },
    ],
    [
      'the mission timeout',
      { kind: 'mission-timeout' },
      {
        reason: 'MISSION_TIMEOUT',
        message: 'Mission timeout of 60000 ms exceeded; the tree was ended.',
      },
      {
        type: 'timeout',
        data: { what: 'mission', limitMs: 60_000, missionTimeoutMs: 60_000 },
        reason: 'MISSION_TIMEOUT',
      },
    ],
    [
      'a lost lock',
      { kind: 'lock-lost', detail: 'the lock file was replaced' },
      {
        reason: 'LOCK_HELD',
        message: "Lost the run's lock (the lock file was replaced); the tree was ended.",
      },
      { type: 'lock-lost', data: { message: 'the lock file was replaced' }, reason: 'LOCK_HELD' },
    ],
    [
      'a sidecar that died (its service-died event is written when it dies)',
      { kind: 'service-failed', detail: 'opencode' },
      { reason: 'SERVICE_FAILED', message: 'Service opencode died mid-run; the tree was ended.' },
      undefined,
    ],
    [
      "a service the caller names as the abort's reason",
      {
        kind: 'service-failed',
        detail: 'coordination database',
        externalFailure: serviceFailure('coordination database', 'unreachable for 200 s'),
      },
      {
        reason: 'SERVICE_FAILED',
        message:
          'coordination database failed mid-run (unreachable for 200 s); the tree was ended.',
      },
      undefined,
    ],
  ])('%s', (_title, overrides, outcome, event) => {
    expect(stopOutcome(stopped(overrides))).toEqual(outcome);
    expect(stopEventOf(stopped(overrides))).toEqual(event);
  });
});

describe('RunStop', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the first stop, aborts its signal once, and takes none once finishing', () => {
    const stop = new RunStop();
    let aborts = 0;
    stop.signal.addEventListener('abort', () => aborts++);
    stop.request('lock-lost', 'replaced');
    stop.request('interrupted');
    expect({ kind: stop.kind, detail: stop.detail, aborted: stop.signal.aborted, aborts }).toEqual({
      kind: 'lock-lost',
      detail: 'replaced',
      aborted: true,
      aborts: 1,
    });
    const finishing = new RunStop();
    finishing.finish();
    finishing.request('interrupted');
    expect({ kind: finishing.kind, aborted: finishing.signal.aborted }).toEqual({
      kind: undefined,
      aborted: false,
    });
  });

  it('stops the run mission-timeout once the clock reaches the deadline, and not after finish()', () => {
    vi.useFakeTimers();
    const due = new RunStop();
    due.armDeadline(Date.now() + 1000, Date.now);
    vi.advanceTimersByTime(999);
    expect(due.kind).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(due.kind).toBe('mission-timeout');
    const finished = new RunStop();
    finished.armDeadline(Date.now() + 1000, Date.now);
    finished.finish();
    vi.advanceTimersByTime(2000);
    expect({ kind: finished.kind, timers: vi.getTimerCount() }).toEqual({
      kind: undefined,
      timers: 0,
    });
  });

  it('stops at once when the deadline is already past', () => {
    const late = new RunStop();
    late.armDeadline(1000, () => 1000);
    expect(late.kind).toBe('mission-timeout');
  });
});
