import { describe, expect, it } from 'vitest';
import { newRunId, runIdInstant } from './run-id.js';

describe('newRunId', () => {
  it('stamps the UTC time to the millisecond, then 6 random hex digits', () => {
    const id = newRunId(Date.UTC(2026, 11, 2, 6, 48, 24, 93));
    expect(id).toMatch(/^20261202-064824-093-[0-9a-f]{6}$/);
  });

  it('sorts in the order the runs started, within one second too', () => {
    const startMs = Date.UTC(2026, 11, 2, 6, 48, 24, 0);
    // Runs 7 ms apart over two seconds: an id to the second alone would sort
    // each second's runs by their random part.
    const ids = Array.from({ length: 300 }, (_, index) => newRunId(startMs + index * 7));
    expect([...ids].sort()).toEqual(ids);
  });

  it('gives two runs of the same millisecond different ids', () => {
    const nowMs = Date.UTC(2026, 11, 2, 6, 48, 24, 500);
    const ids = new Set(Array.from({ length: 20 }, () => newRunId(nowMs)));
    expect(ids.size).toBe(20);
  });
});

describe('runIdInstant', () => {
  it('is the millisecond of an id of newRunId, the second of an older id, else the whole id', () => {
    expect(runIdInstant('20261202-064824-493-16848e')).toBe('20261202-064824-493');
    expect(runIdInstant('20261202-064824-16848e')).toBe('20261202-064824');
    expect(runIdInstant('nightly-7')).toBe('nightly-7');
  });
});
