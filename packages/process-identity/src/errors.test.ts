import { describe, expect, it, vi } from 'vitest';
import { ProcessIdentityError } from './errors.js';

const make = () =>
  new ProcessIdentityError({ code: 'ERR_INVALID_PID', message: 'Invalid pid -1.' });

describe('error identity', () => {
  it('carries its own class marker, runwarden.process-identity.error.ProcessIdentityError, and no package-wide one', () => {
    const error = make();
    expect(ProcessIdentityError.isInstance(error)).toBe(true);
    expect(error.name).toBe('ProcessIdentityError');
    expect(Object.getOwnPropertySymbols(error).map(String)).toEqual([
      'Symbol(runwarden.process-identity.error.ProcessIdentityError)',
    ]);
  });

  it('two copies of the package agree (Symbol.for markers, not instanceof)', async () => {
    vi.resetModules();
    const copy = await import('./errors.js');
    expect(copy.ProcessIdentityError).not.toBe(ProcessIdentityError);
    expect(copy.ProcessIdentityError.isInstance(make())).toBe(true);
    expect(
      ProcessIdentityError.isInstance(
        new copy.ProcessIdentityError({ code: 'ERR_INVALID_PID', message: 'x' }),
      ),
    ).toBe(true);
  });

  it('a lookalike is not one: a plain Error of the same name, or one marked for another class', () => {
    const lookalike = Object.assign(new Error('x'), {
      name: 'ProcessIdentityError',
      code: 'ERR_INVALID_PID',
    });
    expect(ProcessIdentityError.isInstance(lookalike)).toBe(false);
    const otherClass = Object.assign(new Error('x'), {
      [Symbol.for('runwarden.process-identity.error.OtherProcessIdentityError')]: true,
      [Symbol.for('runwarden.process-identity.error')]: true,
    });
    expect(ProcessIdentityError.isInstance(otherClass)).toBe(false);
    expect(ProcessIdentityError.isInstance(undefined)).toBe(false);
  });
});
