import { once } from 'node:events';
import { rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { spawnLineReader } from '@runwarden/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyLogChain } from '../src/index.js';
import { distEntry, tempTree } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = tempTree('log-chain-crash-');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

describe('a log chain after SIGKILL', () => {
  it('still verifies every complete chunk, and then detects a truncation', async () => {
    const log = join(dir, 'stdout.log');
    // A writer tees 3.5 MiB into the log and its chain, says so, and waits to be killed.
    const writer = spawnLineReader(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { createLogChain } = await import(${JSON.stringify(distEntry)});
         const { appendFileSync } = await import('node:fs');
         const chain = createLogChain(${JSON.stringify(log)});
         for (let i = 0; i < 7; i++) {
           const block = Buffer.alloc(${MiB / 2}, i);
           appendFileSync(${JSON.stringify(log)}, block);
           chain.update(block);
         }
         process.stdout.write('written\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = once(writer.child, 'exit');
    expect(await writer.next()).toBe('written');
    writer.child.kill('SIGKILL');
    await exited;
    expect(verifyLogChain(log)).toMatchObject({
      ok: true,
      status: 'partial',
      closed: false,
      logBytes: 3.5 * MiB,
      verifiedBytes: 3 * MiB,
      chunks: 3,
    });
    truncateSync(log, 3 * MiB - 1);
    expect(verifyLogChain(log)).toMatchObject({
      ok: false,
      status: 'truncated',
      firstBadChunk: { index: 2 },
    });
  });
});
