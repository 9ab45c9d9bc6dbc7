import { describe, expect, it } from 'vitest';
import { parseFormats, shouldShowProgress } from './evidence.js';

describe('shouldShowProgress', () => {
  it.each([
    [{ isTTY: true, json: false, ci: false, term: 'xterm-256color' }, true],
    [{ isTTY: false, json: false, ci: false, term: 'xterm' }, false],
    [{ isTTY: true, json: true, ci: false, term: 'xterm' }, false],
    [{ isTTY: true, json: false, ci: true, term: 'xterm' }, false],
    [{ isTTY: true, json: false, ci: false, term: 'dumb' }, false],
    [{ isTTY: true, json: false, ci: false, term: undefined }, true],
  ])('%o → %s', (facts, expected) => {
    expect(shouldShowProgress(facts)).toBe(expected);
  });
});

describe('parseFormats', () => {
  it('takes commas and repeats, in the order given, once each', () => {
    expect(parseFormats(['sums,json', 'md', 'json'])).toEqual(['sums', 'json', 'md']);
    expect(parseFormats(undefined)).toBeUndefined();
  });

  it('refuses an unknown format with one line', () => {
    expect(() => parseFormats(['sums,yaml'])).toThrow(
      '--format: unknown format "yaml" (use sums, json, intoto, md)',
    );
  });
});
