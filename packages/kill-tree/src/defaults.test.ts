import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultsMissingFromReadme } from '@runwarden/test-utils';
import { describe, expect, it } from 'vitest';
import { KILL_TREE_DEFAULTS } from './defaults.js';

describe('KILL_TREE_DEFAULTS', () => {
  it('is what the README states', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    expect(defaultsMissingFromReadme(readme, 'KILL_TREE_DEFAULTS', KILL_TREE_DEFAULTS)).toEqual([]);
  });
});
