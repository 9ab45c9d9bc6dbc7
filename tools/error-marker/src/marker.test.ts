import { describe, expect, it } from 'vitest';
import { hasMarker, mark } from './marker.js';

describe('mark and hasMarker', () => {
  it('marks with Symbol.for, invisibly, and tells one marker from another', () => {
    const error = new Error('x');
    mark(error, 'runwarden.test.error.A');
    expect(hasMarker(error, 'runwarden.test.error.A')).toBe(true);
    expect(hasMarker(error, 'runwarden.test.error.B')).toBe(false);
    expect(Object.keys(error)).toEqual([]);
    expect(JSON.stringify(error)).toBe('{}');
  });

  it('is false for anything unmarked, and for a marker that is not exactly true', () => {
    expect(hasMarker(undefined, 'm')).toBe(false);
    expect(hasMarker('m', 'm')).toBe(false);
    expect(hasMarker({ [Symbol.for('m')]: 1 }, 'm')).toBe(false);
  });
});
