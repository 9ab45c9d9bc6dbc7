import { describe, expect, it, vi } from 'vitest';
import { KillTreeError } from './errors.js';

const make = () =>
  new KillTreeError({ code: 'ERR_IDENTITY_MISMATCH', message: 'pid 5 is another process now.' });

describe('error identity', () => {
  it('carries its own class marker, runwarden.kill-tree.error.KillTreeError, and no package-wide one', () => {
    const error = make();
    expect(KillTreeError.isInstance(error)).toBe(true);
    expect(error.name).toBe('KillTreeError');
    expect(Object.getOwnPropertySymbols(error).map(String)).toEqual([
      'Symbol(runwarden.kill-tree.error.KillTreeError)',
    ]);
  });

  it('two copies of the package agree (Symbol.for markers, not instanceof)', async () => {
    vi.resetModules();
    const copy = await import('./errors.js');
    expect(copy.KillTreeError).not.toBe(KillTreeError);
    expect(copy.KillTreeError.isInstance(make())).toBe(true);
    expect(
      KillTreeError.isInstance(
        new copy.KillTreeError({ code: 'ERR_INVALID_OPTION', message: 'x' }),
      ),
    ).toBe(true);
  });

  it('a lookalike is not one: a plain Error of the same name, or one marked for another class', () => {
    const lookalike = Object.assign(new Error('x'), {
      name: 'KillTreeError',
      code: 'ERR_IDENTITY_MISMATCH',
    });
    expect(KillTreeError.isInstance(lookalike)).toBe(false);
    const otherClass = Object.assign(new Error('x'), {
      [Symbol.for('runwarden.kill-tree.error.OtherKillTreeError')]: true,
      [Symbol.for('runwarden.kill-tree.error')]: true,
    });
    expect(KillTreeError.isInstance(otherClass)).toBe(false);
    expect(KillTreeError.isInstance(undefined)).toBe(false);
  });
});
