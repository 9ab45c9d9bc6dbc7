import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callAt, MAX_TIMER_MS, waitOut } from './clock.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('callAt', () => {
  it('calls once the clock reaches the deadline, re-arming past setTimeout’s limit', () => {
    let calls = 0;
    callAt(Date.now() + MAX_TIMER_MS * 2 + 5, () => calls++, Date.now);
    vi.advanceTimersByTime(MAX_TIMER_MS * 2);
    expect(calls).toBe(0);
    vi.advanceTimersByTime(5);
    expect({ calls, timers: vi.getTimerCount() }).toEqual({ calls: 1, timers: 0 });
  });

  it('is cancelled by the function it returns', () => {
    let calls = 0;
    const cancel = callAt(Date.now() + 100, () => calls++, Date.now);
    cancel();
    vi.advanceTimersByTime(200);
    expect(calls).toBe(0);
  });

  it('reads the injected clock, not the timers: a clock that jumps ahead ends a long wait at its next timer', () => {
    let offsetMs = 0;
    const clock = () => Date.now() + offsetMs;
    let calls = 0;
    callAt(clock() + MAX_TIMER_MS * 2, () => calls++, clock);
    offsetMs = MAX_TIMER_MS;
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(calls).toBe(1);
  });
});

describe('waitOut', () => {
  it('is ready after the delay', async () => {
    const waited = waitOut(500, new AbortController().signal, Date.now);
    vi.advanceTimersByTime(500);
    await expect(waited).resolves.toBe('ready');
  });

  it('is stopped by an abort meanwhile, and leaves no timer', async () => {
    const controller = new AbortController();
    const waited = waitOut(500, controller.signal, Date.now);
    vi.advanceTimersByTime(100);
    controller.abort();
    await expect(waited).resolves.toBe('stopped');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is stopped at once when the signal aborted before', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(waitOut(500, controller.signal, Date.now)).resolves.toBe('stopped');
  });
});
