import { mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectEntries, collectEntriesAsync } from '../src/index.js';
import { hashFiles } from '../src/internal.js';
import { tempTree } from './helpers.js';

let root: string;
beforeEach(() => {
  root = tempTree('evidence-pool-');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the worker pool', () => {
  it('gives the same sorted list as the calling thread, whatever order the workers finish in', async () => {
    for (let dirIndex = 0; dirIndex < 5; dirIndex++) {
      mkdirSync(join(root, `d${dirIndex}`));
      for (let index = 0; index < 60; index++) {
        // Sizes from 0 to ~1 MiB, so batches and the largest-first order mix.
        const size = ((index * 7919 + dirIndex * 104729) % 64) * 16 * 1024;
        writeFileSync(
          join(root, `d${dirIndex}`, `f${index}`),
          Buffer.alloc(size, index + dirIndex),
        );
      }
    }
    const progress: number[] = [];
    const pooled = await collectEntriesAsync(root, {
      concurrency: 3,
      poolThresholdBytes: 0,
      onProgress: (step) => progress.push(step.filesDone),
    });
    expect(pooled).toEqual(collectEntries(root));
    expect(progress.at(-1)).toBe(300);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('returns outcomes in the order of the requests and marks a vanished file unstable', async () => {
    writeFileSync(join(root, 'small'), 'x');
    writeFileSync(join(root, 'big'), Buffer.alloc(2 * 1024 * 1024));
    const outcomes = await hashFiles(
      [
        { path: join(root, 'small'), sizeBytes: 1 },
        { path: join(root, 'gone'), sizeBytes: 5 },
        { path: join(root, 'big'), sizeBytes: 2 * 1024 * 1024 },
      ],
      { concurrency: 2, poolThresholdBytes: 0, retries: 0 },
    );
    expect(outcomes.map((outcome) => outcome.sizeBytes)).toEqual([1, 0, 2 * 1024 * 1024]);
    expect(outcomes[1]).toEqual({ sizeBytes: 0, status: 'unstable', errorCode: 'ENOENT' });
  });

  it("brings back every thread's errno codes, whichever thread met the file", async () => {
    // 128 MiB in all (sparse), so the workers are up long before the work is done.
    const requests = Array.from({ length: 64 }, (_, index) => {
      const path = join(root, `f${index}`);
      if (index % 2 === 0) {
        writeFileSync(path, `${index}`);
        truncateSync(path, 4 * 1024 * 1024);
      }
      return { path, sizeBytes: 4 * 1024 * 1024 };
    });
    const outcomes = await hashFiles(requests, {
      concurrency: 3,
      poolThresholdBytes: 0,
      retries: 0,
    });
    const alone = await hashFiles(requests, { concurrency: 1, retries: 0 });
    expect(outcomes).toEqual(alone);
    expect(outcomes.filter((outcome) => outcome.errorCode === 'ENOENT')).toHaveLength(32);
    expect(outcomes.filter((outcome) => outcome.sha256 !== undefined)).toHaveLength(32);
  });

  it('keeps the event loop running while the calling thread hashes a large file', async () => {
    const path = join(root, 'sparse');
    writeFileSync(path, '');
    truncateSync(path, 128 * 1024 * 1024);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      const [outcome] = await hashFiles([{ path, sizeBytes: 128 * 1024 * 1024 }]);
      expect(outcome?.sizeBytes).toBe(128 * 1024 * 1024);
    } finally {
      clearInterval(timer);
    }
    expect(ticks).toBeGreaterThan(0);
  });
});
