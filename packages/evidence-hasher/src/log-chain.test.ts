import { createHash } from 'node:crypto';
import {
  appendFileSync,
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogChain } from './log-chain.js';
import { verifyLogChain } from './log-chain-verify.js';

let dir: string;
let log: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'log-chain-'));
  log = join(dir, 'stdout.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Appends to the log and feeds the chain, as the watchdog's tee does. */
function tee(chain: ReturnType<typeof createLogChain>, data: Buffer) {
  appendFileSync(log, data);
  chain.update(data);
}
const block = (size: number, seed: number) => Buffer.alloc(size, seed);
const MiB = 1024 * 1024;

describe('createLogChain', () => {
  it('records one line per 1 MiB chunk, then the end line with the whole log’s SHA-256', () => {
    const chain = createLogChain(log, { fsync: false });
    tee(chain, block(MiB - 1, 1));
    expect(chain.chunks).toBe(0);
    tee(chain, block(2, 2));
    expect(chain.chunks).toBe(1);
    tee(chain, block(MiB + 10, 3));
    const summary = chain.close();
    const whole = createHash('sha256').update(readFileSync(log)).digest('hex');
    expect(summary).toMatchObject({ bytes: 2 * MiB + 11, chunks: 3, sha256: whole });
    const lines = readFileSync(`${log}.sha256chain`, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('runwarden-log-chain 1 sha256 1048576');
    expect(lines.slice(1).map((line) => line.split(' ').slice(0, 4).join(' '))).toEqual([
      'chunk 0 0 1048576',
      'chunk 1 1048576 1048576',
      'chunk 2 2097152 11',
      `end ${2 * MiB + 11} ${whole} ${summary.head}`,
    ]);
    expect(chain.close()).toBe(summary);
    expect(verifyLogChain(log)).toMatchObject({
      ok: true,
      status: 'ok',
      closed: true,
      verifiedBytes: 2 * MiB + 11,
    });
  });

  it('with wholeFileDigest off hashes each byte once and still verifies, catching an edit', () => {
    const chain = createLogChain(log, { fsync: false, wholeFileDigest: false });
    tee(chain, block(MiB + 7, 4));
    const summary = chain.close();
    expect(summary.sha256).toBeUndefined();
    const lines = readFileSync(`${log}.sha256chain`, 'utf8').trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`end ${MiB + 7} - ${summary.head}`);
    expect(verifyLogChain(log)).toMatchObject({ ok: true, status: 'ok', closed: true });
    writeFileSync(log, Buffer.concat([block(MiB, 4), block(7, 5)]));
    expect(verifyLogChain(log)).toMatchObject({
      ok: false,
      status: 'modified',
      firstBadChunk: { index: 1 },
    });
  });

  it('refuses bytes after close', () => {
    const chain = createLogChain(log, { fsync: false });
    chain.close();
    expect(() => chain.update('late')).toThrow(`The log chain ${log}.sha256chain is closed.`);
  });

  it('chains what an existing log already holds, so the chain covers it from byte 0', () => {
    writeFileSync(log, block(MiB + 5, 7));
    const chain = createLogChain(log, { fsync: false });
    expect(chain.bytes).toBe(MiB + 5);
    tee(chain, Buffer.from('more\n'));
    chain.close();
    expect(verifyLogChain(log)).toMatchObject({ status: 'ok', chainedBytes: MiB + 10 });
  });
});

describe('wired to a WriteStream as the watchdog would', () => {
  it('feeds bytes from the write callbacks and closes after the stream ends', async () => {
    const chain = createLogChain(log, { fsync: false });
    const stream = createWriteStream(log, { flags: 'a', mode: 0o600 });
    for (let i = 0; i < 9; i++) {
      const chunk = block(300 * 1024 + i, i);
      stream.write(chunk, () => chain.update(chunk));
    }
    const summary = await new Promise<ReturnType<typeof chain.close>>((resolve) =>
      stream.end(() => resolve(chain.close())),
    );
    expect(summary.bytes).toBe(9 * 300 * 1024 + 36);
    expect(summary.chunks).toBe(3);
    expect(verifyLogChain(log)).toMatchObject({ ok: true, status: 'ok', logBytes: summary.bytes });
  });
});

describe('verifyLogChain', () => {
  const written = () => {
    const chain = createLogChain(log, { fsync: false });
    for (let i = 0; i < 3; i++) tee(chain, block(MiB, i));
    tee(chain, Buffer.from('tail\n'));
    return chain;
  };

  it('reports partial, not failed, when the chain was never closed (a crash)', () => {
    written();
    expect(verifyLogChain(log)).toEqual({
      ok: true,
      status: 'partial',
      closed: false,
      logBytes: 3 * MiB + 5,
      chainedBytes: 3 * MiB,
      verifiedBytes: 3 * MiB,
      chunks: 3,
      head: expect.stringMatching(/^[0-9a-f]{64}$/),
      message: `${log}: the chain was not closed (a crash, or still writing); ${3 * MiB} bytes in 3 chunks match, 5 later bytes are unverified.`,
    });
  });

  it('detects a truncated log and names the chunk', () => {
    written().close();
    truncateSync(log, 2 * MiB + 100);
    expect(verifyLogChain(log)).toMatchObject({
      ok: false,
      status: 'truncated',
      verifiedBytes: 2 * MiB,
      firstBadChunk: { index: 2, offset: 2 * MiB },
      message: `${log} is truncated: it ends at byte ${2 * MiB + 100}, inside chunk 2, but the chain records ${3 * MiB + 5} bytes.`,
    });
  });

  it('detects one changed byte and names its chunk', () => {
    written().close();
    const bytes = readFileSync(log);
    bytes.writeUInt8(bytes.readUInt8(MiB + 17) ^ 1, MiB + 17);
    writeFileSync(log, bytes);
    expect(verifyLogChain(log)).toMatchObject({
      ok: false,
      status: 'modified',
      verifiedBytes: MiB,
      firstBadChunk: { index: 1, offset: MiB },
    });
  });

  it('detects bytes appended after the chain was closed', () => {
    written().close();
    appendFileSync(log, 'sneaked in\n');
    expect(verifyLogChain(log)).toMatchObject({ ok: false, status: 'extended' });
  });

  it('detects an edited sidecar by its broken link', () => {
    written().close();
    const sidecar = `${log}.sha256chain`;
    const lines = readFileSync(sidecar, 'utf8').split('\n');
    const fields = lines[2]!.split(' ');
    fields[4] = 'f'.repeat(64);
    lines[2] = fields.join(' ');
    writeFileSync(sidecar, lines.join('\n'));
    expect(verifyLogChain(log)).toMatchObject({
      ok: false,
      status: 'corrupt',
      message: `${sidecar} line 3: the link of chunk 1 is broken (the sidecar was edited).`,
    });
  });

  it('ignores a torn last line, as a crash mid-write leaves it', () => {
    written();
    appendFileSync(`${log}.sha256chain`, 'chunk 3 31457');
    expect(verifyLogChain(log)).toMatchObject({ ok: true, status: 'partial', chunks: 3 });
  });

  it('says missing when there is no sidecar or no log', () => {
    expect(verifyLogChain(log)).toMatchObject({ ok: false, status: 'missing' });
    createLogChain(log, { fsync: false }).close();
    expect(verifyLogChain(log)).toMatchObject({
      ok: false,
      status: 'missing',
      message: `There is no log ${log}.`,
    });
  });
});
