import { describe, expect, it, vi } from 'vitest';
import { LockCompromisedError, LockCorruptError, LockError, LockHeldError } from './errors.js';

const base = () =>
  new LockError({
    code: 'ERR_LOCK_IO',
    path: '/x/RUN.lock',
    message: 'Cannot create the lock: EACCES.',
  });
const held = () =>
  new LockHeldError({ path: '/x/RUN.lock', reason: 'holder-alive', message: 'held' });
const corrupt = () => new LockCorruptError({ path: '/x/RUN.lock', message: 'corrupt' });
const compromised = () =>
  new LockCompromisedError({ path: '/x/RUN.lock', message: 'lost', reason: 'removed' });

describe('error identity', () => {
  it('a base LockError is no subclass (an I/O error is never taken for "held")', () => {
    const error = base();
    expect(LockError.isInstance(error)).toBe(true);
    expect(LockHeldError.isInstance(error)).toBe(false);
    expect(LockCorruptError.isInstance(error)).toBe(false);
    expect(LockCompromisedError.isInstance(error)).toBe(false);
  });

  it('each subclass is itself and a LockError, never a sibling', () => {
    const cases = [
      [held(), LockHeldError],
      [corrupt(), LockCorruptError],
      [compromised(), LockCompromisedError],
    ] as const;
    for (const [error, own] of cases) {
      expect(LockError.isInstance(error)).toBe(true);
      for (const [, other] of cases) expect(other.isInstance(error)).toBe(other === own);
    }
  });

  it('two copies of the package agree (Symbol.for markers, not instanceof)', async () => {
    vi.resetModules();
    const copy = await import('./errors.js');
    expect(copy.LockHeldError).not.toBe(LockHeldError);
    expect(copy.LockHeldError.isInstance(held())).toBe(true);
    expect(
      LockHeldError.isInstance(new copy.LockHeldError({ path: '/x', reason: 'r', message: 'm' })),
    ).toBe(true);
    expect(copy.LockHeldError.isInstance(base())).toBe(false);
  });

  it('a lookalike is not one: a plain Error of the same name and code', () => {
    const lookalike = Object.assign(new Error('held'), {
      name: 'LockHeldError',
      code: 'ERR_LOCK_HELD',
    });
    expect(LockHeldError.isInstance(lookalike)).toBe(false);
    expect(LockError.isInstance(lookalike)).toBe(false);
    expect(LockError.isInstance(null)).toBe(false);
    expect(LockError.isInstance('LockError')).toBe(false);
  });
});
