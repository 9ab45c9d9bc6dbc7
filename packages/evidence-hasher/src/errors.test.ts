import { describe, expect, it, vi } from 'vitest';
import { EvidenceError } from './errors.js';

const make = () =>
  new EvidenceError({
    code: 'ERR_EVIDENCE_ROOT',
    path: '/x',
    message: 'Evidence root /x is missing.',
  });

describe('error identity', () => {
  it('carries its own class marker, runwarden.evidence-hasher.error.EvidenceError, and no package-wide one', () => {
    const error = make();
    expect(EvidenceError.isInstance(error)).toBe(true);
    expect(error.name).toBe('EvidenceError');
    expect(Object.getOwnPropertySymbols(error).map(String)).toEqual([
      'Symbol(runwarden.evidence-hasher.error.EvidenceError)',
    ]);
  });

  it('two copies of the package agree (Symbol.for markers, not instanceof)', async () => {
    vi.resetModules();
    const copy = await import('./errors.js');
    expect(copy.EvidenceError).not.toBe(EvidenceError);
    expect(copy.EvidenceError.isInstance(make())).toBe(true);
    expect(
      EvidenceError.isInstance(
        new copy.EvidenceError({ code: 'ERR_EVIDENCE_OUTPUT', path: '/x', message: 'x' }),
      ),
    ).toBe(true);
  });

  it('a lookalike is not one: a plain Error of the same name, or one marked for another class', () => {
    const lookalike = Object.assign(new Error('x'), {
      name: 'EvidenceError',
      code: 'ERR_EVIDENCE_ROOT',
    });
    expect(EvidenceError.isInstance(lookalike)).toBe(false);
    const otherClass = Object.assign(new Error('x'), {
      [Symbol.for('runwarden.evidence-hasher.error.OtherEvidenceError')]: true,
      [Symbol.for('runwarden.evidence-hasher.error')]: true,
    });
    expect(EvidenceError.isInstance(otherClass)).toBe(false);
    expect(EvidenceError.isInstance(undefined)).toBe(false);
  });
});
