import { describe, expect, it } from 'vitest';
import { formatDuration } from './durations.js';

describe('formatDuration', () => {
  it.each([
    [850.4, '850ms'],
    [1500, '1.5s'],
    [59_999, '59.9s'],
    [60_000, '1m'],
    [192_000, '3m 12s'],
    [7_500_000, '2h 5m'],
    [21_600_000, '6h'],
    [-5, '0ms'],
  ])('%d ms is %s', (valueMs, text) => {
    expect(formatDuration(valueMs)).toBe(text);
  });
});
