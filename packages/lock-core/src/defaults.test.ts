import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultsMissingFromReadme } from '@runwarden/test-utils';
import { describe, expect, it } from 'vitest';
import { LOCK_DEFAULTS } from './defaults.js';
import { resolveOptions } from './options.js';

describe('LOCK_DEFAULTS', () => {
  it('is what the README states', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    expect(defaultsMissingFromReadme(readme, 'LOCK_DEFAULTS', LOCK_DEFAULTS)).toEqual([]);
  });

  it('is what the options resolve to when none is given', () => {
    const resolved = resolveOptions('/x/RUN.lock', {});
    expect(resolved).toMatchObject({
      path: '/x/RUN.lock',
      staleAfterMs: 30_000,
      heartbeatMs: 10_000,
      incompleteGraceMs: 2000,
    });
    expect(resolveOptions('RUN.lock', { staleAfterMs: 300 }).heartbeatMs).toBe(100);
  });
});
