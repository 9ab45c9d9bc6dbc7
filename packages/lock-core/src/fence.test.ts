import { describe, expect, it } from 'vitest';
import { FENCE_RESERVATION, nextToken, parseFence } from './fence.js';

const lock = '/state/RUN.lock';

describe('parseFence', () => {
  it('reads a fixed-width record, in place', () => {
    const text = `${JSON.stringify({ fencingToken: 7, reservedThrough: 262, bootId: 'b1' })}`;
    const padded = `${text}${' '.repeat(159 - text.length)}\n`;
    expect(parseFence(lock, padded)).toEqual({
      fencingToken: 7,
      reservedThrough: 262,
      bootId: 'b1',
      inPlace: true,
    });
  });

  it('reads the counter of earlier versions, {"fencingToken": N}, as durable', () => {
    expect(parseFence(lock, '{"fencingToken":41}\n')).toEqual({
      fencingToken: 41,
      reservedThrough: 41,
      bootId: '',
      inPlace: false,
    });
  });

  it.each([
    ['', 'it is empty'],
    ['\0\0\0\0', 'it is not JSON'],
    ['{"fencingToken":', 'it is not JSON'],
    ['{"fencingToken":-1}', 'fencingToken is not a non-negative integer'],
    [
      '{"fencingToken":5,"reservedThrough":4,"bootId":"b"}',
      'reservedThrough or bootId is not valid',
    ],
  ])('refuses %j, naming the fence and keeping it', (raw, detail) => {
    expect(() => parseFence(lock, raw)).toThrow(
      `Fencing counter /state/RUN.lock.fence is not valid: ${detail}. It was left exactly as it was.`,
    );
  });
});

describe('nextToken', () => {
  const fence = { fencingToken: 10, reservedThrough: 265, bootId: 'b1', inPlace: true };

  it('is one past the counter in the same boot', () => {
    expect(nextToken(fence, 'b1', 0)).toBe(11);
  });

  it('is one past the stale lock when that is higher', () => {
    expect(nextToken(fence, 'b1', 20)).toBe(21);
  });

  it('skips past the reservation after a reboot, so nothing lost in a crash is issued twice', () => {
    expect(nextToken(fence, 'b2', 0)).toBe(266);
  });

  it('starts at 1, or past a stale lock, when there is no counter yet', () => {
    expect(nextToken(null, 'b1', 0)).toBe(1);
    expect(nextToken(null, 'b1', 4)).toBe(5);
  });

  it('reserves a block of tokens per durable write', () => {
    expect(FENCE_RESERVATION).toBeGreaterThanOrEqual(64);
  });
});
