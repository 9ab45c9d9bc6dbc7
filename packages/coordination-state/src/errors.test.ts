import { describe, expect, it, vi } from 'vitest';
import { CoordinationError } from './errors.js';

const make = () =>
  new CoordinationError({
    code: 'ERR_INVALID_STATE',
    message: 'Coordination state x is unusable.',
    path: '/x',
  });

describe('error identity', () => {
  it('carries its own class marker, runwarden.coordination-state.error.CoordinationError, and no package-wide one', () => {
    const error = make();
    expect(CoordinationError.isInstance(error)).toBe(true);
    expect(error.name).toBe('CoordinationError');
    expect(Object.getOwnPropertySymbols(error).map(String)).toEqual([
      'Symbol(runwarden.coordination-state.error.CoordinationError)',
    ]);
  });

  it('two copies of the package agree (Symbol.for markers, not instanceof)', async () => {
    vi.resetModules();
    const copy = await import('./errors.js');
    expect(copy.CoordinationError).not.toBe(CoordinationError);
    expect(copy.CoordinationError.isInstance(make())).toBe(true);
    expect(
      CoordinationError.isInstance(
        new copy.CoordinationError({ code: 'ERR_STORE_BUSY', message: 'x' }),
      ),
    ).toBe(true);
  });

  it('a lookalike is not one: a plain Error of the same name, or one marked for another class', () => {
    const lookalike = Object.assign(new Error('x'), {
      name: 'CoordinationError',
      code: 'ERR_INVALID_STATE',
    });
    expect(CoordinationError.isInstance(lookalike)).toBe(false);
    const otherClass = Object.assign(new Error('x'), {
      [Symbol.for('runwarden.coordination-state.error.OtherCoordinationError')]: true,
      [Symbol.for('runwarden.coordination-state.error')]: true,
    });
    expect(CoordinationError.isInstance(otherClass)).toBe(false);
    expect(CoordinationError.isInstance(undefined)).toBe(false);
  });
});
