import { describe, expect, it } from 'vitest';
import { parseFormats } from './formats.js';

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
