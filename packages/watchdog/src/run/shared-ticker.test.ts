import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { subscribeTick } from './shared-ticker.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('subscribeTick', () => {
  it('runs every subscriber of one period on a single timer, each tick, in the order they subscribed', () => {
    const calls: string[] = [];
    const stops = ['a', 'b', 'c'].map((name) => subscribeTick(250, () => calls.push(name)));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(500);
    expect(calls).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    for (const stop of stops) stop();
  });

  it('keeps a timer per period', () => {
    const stops = [subscribeTick(100, () => {}), subscribeTick(250, () => {})];
    expect(vi.getTimerCount()).toBe(2);
    for (const stop of stops) stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('first calls a late subscriber within one period of subscribing, then every period', () => {
    const early = subscribeTick(250, () => {});
    vi.advanceTimersByTime(200);
    let calls = 0;
    const late = subscribeTick(250, () => calls++);
    vi.advanceTimersByTime(50);
    expect(calls).toBe(1);
    vi.advanceTimersByTime(249);
    expect(calls).toBe(1);
    vi.advanceTimersByTime(1);
    expect(calls).toBe(2);
    early();
    late();
  });

  it('clears the timer with its last subscriber, and a second unsubscribe changes nothing', () => {
    let calls = 0;
    const first = subscribeTick(250, () => calls++);
    const second = subscribeTick(250, () => calls++);
    first();
    first();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(250);
    expect(calls).toBe(1);
    second();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(calls).toBe(1);
  });

  it('does not run a subscriber that another one unsubscribed earlier in the same tick', () => {
    const calls: string[] = [];
    let stopB: () => void = () => {};
    const stopA = subscribeTick(250, () => {
      calls.push('a');
      stopB();
    });
    stopB = subscribeTick(250, () => calls.push('b'));
    vi.advanceTimersByTime(500);
    expect(calls).toEqual(['a', 'a']);
    stopA();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('runs the other subscribers of a tick when one throws, then raises its error as uncaught', () => {
    const calls: string[] = [];
    const stops = [
      subscribeTick(250, () => {
        calls.push('a');
        throw new Error('tick failed');
      }),
      subscribeTick(250, () => calls.push('b')),
    ];
    vi.advanceTimersByTime(250);
    expect(calls).toEqual(['a', 'b']);
    expect(() => vi.advanceTimersToNextTimer()).toThrow('tick failed');
    for (const stop of stops) stop();
  });

  it('counts one callback subscribed twice as two subscribers', () => {
    let calls = 0;
    const onTick = () => calls++;
    const first = subscribeTick(250, onTick);
    const second = subscribeTick(250, onTick);
    vi.advanceTimersByTime(250);
    expect(calls).toBe(2);
    first();
    vi.advanceTimersByTime(250);
    expect(calls).toBe(3);
    second();
  });

  it('starts a fresh timer for a subscriber that comes after the last one left', () => {
    subscribeTick(250, () => {})();
    let calls = 0;
    const stop = subscribeTick(250, () => calls++);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(250);
    expect(calls).toBe(1);
    stop();
  });

  it('refuses a period that is not a positive number of ms', () => {
    for (const intervalMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => subscribeTick(intervalMs, () => {})).toThrow(
        `intervalMs must be a positive number of ms, got ${intervalMs}`,
      );
  });
});
