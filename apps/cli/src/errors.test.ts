import { describe, expect, it, vi } from 'vitest';
import { CliError } from './errors.js';

const make = () =>
  new CliError({ reason: 'INVALID_STATE', message: 'Lock file x is not a valid lock.' });

describe('error identity', () => {
  it('carries its own class marker, runwarden.cli.error.CliError, and no package-wide one', () => {
    const error = make();
    expect(CliError.isInstance(error)).toBe(true);
    expect(error.name).toBe('CliError');
    expect(Object.getOwnPropertySymbols(error).map(String)).toEqual([
      'Symbol(runwarden.cli.error.CliError)',
    ]);
  });

  it('two copies of the package agree (Symbol.for markers, not instanceof)', async () => {
    vi.resetModules();
    const copy = await import('./errors.js');
    expect(copy.CliError).not.toBe(CliError);
    expect(copy.CliError.isInstance(make())).toBe(true);
    expect(CliError.isInstance(new copy.CliError({ reason: 'USAGE', message: 'x' }))).toBe(true);
  });

  it('a lookalike is not one: a plain Error of the same name, or one marked for another class', () => {
    const lookalike = Object.assign(new Error('x'), { name: 'CliError', reason: 'INVALID_STATE' });
    expect(CliError.isInstance(lookalike)).toBe(false);
    const otherClass = Object.assign(new Error('x'), {
      [Symbol.for('runwarden.cli.error.OtherCliError')]: true,
      [Symbol.for('runwarden.cli.error')]: true,
    });
    expect(CliError.isInstance(otherClass)).toBe(false);
    expect(CliError.isInstance(undefined)).toBe(false);
  });
});
