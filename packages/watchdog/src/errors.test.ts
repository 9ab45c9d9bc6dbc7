import { describe, expect, it, vi } from 'vitest';
import { WatchdogError } from './errors.js';

const make = () =>
  new WatchdogError({
    code: 'ERR_UNSAFE_PATH',
    message: 'Run directory x is a symlink.',
    path: '/x',
  });

describe('error identity', () => {
  it('carries its own class marker, runwarden.watchdog.error.WatchdogError, and no package-wide one', () => {
    const error = make();
    expect(WatchdogError.isInstance(error)).toBe(true);
    expect(error.name).toBe('WatchdogError');
    expect(Object.getOwnPropertySymbols(error).map(String)).toEqual([
      'Symbol(runwarden.watchdog.error.WatchdogError)',
    ]);
  });

  it('two copies of the package agree (Symbol.for markers, not instanceof)', async () => {
    vi.resetModules();
    const copy = await import('./errors.js');
    expect(copy.WatchdogError).not.toBe(WatchdogError);
    expect(copy.WatchdogError.isInstance(make())).toBe(true);
    expect(
      WatchdogError.isInstance(
        new copy.WatchdogError({ code: 'ERR_INVALID_OPTION', message: 'x' }),
      ),
    ).toBe(true);
  });

  it('a lookalike is not one: a plain Error of the same name, or one marked for another class', () => {
    const lookalike = Object.assign(new Error('x'), {
      name: 'WatchdogError',
      code: 'ERR_UNSAFE_PATH',
    });
    expect(WatchdogError.isInstance(lookalike)).toBe(false);
    const otherClass = Object.assign(new Error('x'), {
      [Symbol.for('runwarden.watchdog.error.OtherWatchdogError')]: true,
      [Symbol.for('runwarden.watchdog.error')]: true,
    });
    expect(WatchdogError.isInstance(otherClass)).toBe(false);
    expect(WatchdogError.isInstance(undefined)).toBe(false);
  });
});
