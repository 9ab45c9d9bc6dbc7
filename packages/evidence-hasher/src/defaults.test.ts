import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { defaultsMissingFromReadme } from '@runwarden/test-utils';
import { describe, expect, it } from 'vitest';
import { EVIDENCE_DEFAULTS } from './defaults.js';
import { READ_BUFFER_BYTES } from './hash-file.js';
import { defaultConcurrency, POOL_THRESHOLD_BYTES } from './hash-pool.js';
import { LOG_CHAIN_CHUNK_BYTES } from './log-chain-format.js';

describe('EVIDENCE_DEFAULTS', () => {
  it('is what the README states', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    expect(defaultsMissingFromReadme(readme, 'EVIDENCE_DEFAULTS', EVIDENCE_DEFAULTS)).toEqual([]);
  });

  it('is what the code uses', () => {
    expect(defaultConcurrency()).toBe(Math.max(1, Math.min(availableParallelism(), 4)));
    expect(POOL_THRESHOLD_BYTES).toBe(64 * 1024 * 1024);
    expect(LOG_CHAIN_CHUNK_BYTES).toBe(1024 * 1024);
    expect(READ_BUFFER_BYTES).toBe(128 * 1024);
  });
});
