import { describe, expect, it } from 'vitest';
import { shouldShowProgress } from './progress.js';

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
