import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const middle = () => 0.5;

  it('doubles from 1 s and caps at 5 min by default', () => {
    expect([0, 1, 2, 3, 8, 9, 20].map((n) => backoffDelayMs(n, {}, middle))).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000,
    ]);
  });

  it('spreads by the jitter fraction, never above the cap', () => {
    expect(backoffDelayMs(0, {}, () => 0)).toBe(800);
    expect(backoffDelayMs(0, {}, () => 0.999999)).toBe(1200);
    expect(backoffDelayMs(30, {}, () => 0.999999)).toBe(300_000);
  });

  it('honours its options', () => {
    expect(backoffDelayMs(2, { initialMs: 10, factor: 3, maxMs: 50, jitter: 0 })).toBe(50);
    expect(backoffDelayMs(1, { initialMs: 10, factor: 3, maxMs: 50, jitter: 0 })).toBe(30);
  });
});
