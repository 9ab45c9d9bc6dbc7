import { afterEach, describe, expect, it } from 'vitest';
import { colorsEnabled } from './colors.js';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;

describe('colorsEnabled', () => {
  it('colours a terminal, not a pipe, not CI, not NO_COLOR, not TERM=dumb; FORCE_COLOR wins', () => {
    for (const name of ['FORCE_COLOR', 'NO_COLOR', 'CI', 'TERM']) delete process.env[name];
    expect(colorsEnabled(tty)).toBe(true);
    expect(colorsEnabled(pipe)).toBe(false);
    process.env.TERM = 'dumb';
    expect(colorsEnabled(tty)).toBe(false);
    delete process.env.TERM;
    process.env.CI = '1';
    expect(colorsEnabled(tty)).toBe(false);
    delete process.env.CI;
    process.env.NO_COLOR = '1';
    expect(colorsEnabled(tty)).toBe(false);
    process.env.FORCE_COLOR = '1';
    expect(colorsEnabled(pipe)).toBe(true);
    process.env.FORCE_COLOR = '0';
    expect(colorsEnabled(tty)).toBe(false);
  });
});
