import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultsMissingFromReadme } from '@runwarden/test-utils';
import { describe, expect, it } from 'vitest';
import { COORDINATION_DEFAULTS } from './defaults.js';
import { normalizeLeaseMs } from './operation-input.js';

describe('COORDINATION_DEFAULTS', () => {
  it('is what the README states', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    expect(
      defaultsMissingFromReadme(readme, 'COORDINATION_DEFAULTS', COORDINATION_DEFAULTS),
    ).toEqual([]);
  });

  it('is the lease a claim gets when none is given', () => {
    expect(normalizeLeaseMs(undefined)).toBe(300_000);
  });
});
