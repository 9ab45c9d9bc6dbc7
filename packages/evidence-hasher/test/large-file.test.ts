import { execFile } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectEntriesAsync } from '../src/index.js';
import { hashFileSync } from '../src/internal.js';
import { tempTree } from './helpers.js';

let root: string;
beforeEach(() => {
  root = tempTree('evidence-large-');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const GiB = 1024 * 1024 * 1024;

describe('a 3 GiB sparse file', () => {
  it('streams past the 2 GiB readFile limit and matches sha256sum', async () => {
    const path = join(root, 'sparse.img');
    const fd = openSync(path, 'w');
    // Data at the start, across the 2 GiB mark and at the very end; holes between.
    writeSync(fd, Buffer.from('head'), 0, 4, 0);
    writeSync(fd, Buffer.from('across-2GiB'), 0, 11, 2 * GiB - 5);
    writeSync(fd, Buffer.from('tail'), 0, 4, 3 * GiB - 4);
    closeSync(fd);
    // sha256sum runs beside our async hash; neither blocks this test's event loop for long
    // (a minute-long block trips vitest's worker RPC timeout).
    let progressBytes = 0;
    const [peer, entries] = await Promise.all([
      promisify(execFile)('sha256sum', [path], { encoding: 'utf8' }),
      collectEntriesAsync(root, {
        onProgress: (progress) => {
          progressBytes = progress.bytesDone;
        },
      }),
    ]);
    const expected = peer.stdout.slice(0, 64);
    expect(hashFileSync(path)).toEqual({
      sha256: expected,
      sizeBytes: 3 * GiB,
      changedWhileReading: false,
    });
    expect(entries).toEqual([
      { path: 'sparse.img', type: 'file', exec: false, size: 3 * GiB, sha256: expected },
    ]);
    expect(progressBytes).toBe(3 * GiB);
    // coreutils' sha256sum has no SHA-NI path: 3 GiB take it ~20 s alone on this class of machine.
  }, 240_000);
});
