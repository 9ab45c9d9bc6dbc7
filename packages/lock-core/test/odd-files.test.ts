import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { breakLock, inspect, LockCorruptError, LockError, tryAcquire } from '../src/index.js';
import { MAX_FENCING_TOKEN, MAX_LOCK_BYTES } from '../src/internal.js';

let dir: string;
let lockPath: string;
const servers: Server[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lock-odd-'));
  mkdirSync(join(dir, 'state'), { mode: 0o700 });
  lockPath = join(dir, 'state', 'RUN.lock');
});
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `work`, returning what it threw and how long it took, in ms. */
async function timed(work: () => unknown): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work();
    return { error: undefined, ms: performance.now() - started };
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
}

function listenOn(path: string): Promise<void> {
  const server = createServer();
  servers.push(server);
  return new Promise((settle) => server.listen(path, () => settle()));
}

describe('odd files at the lock path', () => {
  it('a FIFO at RUN.lock is corrupt at once (no blocking open), and --force moves it aside', async () => {
    execFileSync('mkfifo', [lockPath]);
    const inspected = await timed(() => {
      const result = inspect(lockPath);
      expect(result.state).toBe('corrupt');
      expect(result.reason).toBe(
        `Lock file ${lockPath} is not a valid lock: it is a FIFO, not a regular file. It was left exactly as it was.`,
      );
    });
    expect(inspected.error).toBeUndefined();
    expect(inspected.ms).toBeLessThan(500);
    const acquired = await timed(() => tryAcquire(lockPath));
    expect(LockCorruptError.isInstance(acquired.error)).toBe(true);
    expect(acquired.ms).toBeLessThan(500);
    expect(lstatSync(lockPath).isFIFO()).toBe(true);
    const broken = await breakLock(lockPath);
    expect(broken.action).toBe('moved-corrupt');
    expect(lstatSync(broken.movedTo!).isFIFO()).toBe(true);
  });

  it('a socket at RUN.lock is corrupt (ENXIO is no exit 70)', async () => {
    await listenOn(lockPath);
    const result = inspect(lockPath);
    expect(result.state).toBe('corrupt');
    expect(result.reason).toContain('it is a socket or device, not a regular file');
    await expect(tryAcquire(lockPath)).rejects.toMatchObject({ code: 'ERR_LOCK_CORRUPT' });
  });

  it(`a lock larger than ${MAX_LOCK_BYTES} bytes is corrupt and never read whole (700 MB sparse)`, async () => {
    writeFileSync(lockPath, '{');
    truncateSync(lockPath, 700 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    const result = inspect(lockPath);
    expect(result.state).toBe('corrupt');
    expect(result.reason).toContain(`it is larger than ${MAX_LOCK_BYTES} bytes`);
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
  });

  it('a directory at RUN.lock is corrupt', () => {
    mkdirSync(lockPath);
    expect(inspect(lockPath)).toMatchObject({ state: 'corrupt' });
  });
});

describe('a lock body that can never become JSON is corrupt at once, and kept', () => {
  const bodies: [string, string | Buffer][] = [
    ['a syntax error before its end', '{"schemaVersion": 1, "holder": ]'],
    ['a NUL byte inside', '{"schemaVersion"\0: 1'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22])],
    ['text after the object', '{"schemaVersion":1} xx'],
  ];
  for (const [what, body] of bodies) {
    it(`${what}`, async () => {
      writeFileSync(lockPath, body);
      const result = inspect(lockPath);
      expect(result.state).toBe('corrupt');
      await expect(tryAcquire(lockPath)).rejects.toMatchObject({ code: 'ERR_LOCK_CORRUPT' });
      // Still corrupt past the grace an incomplete body gets: never "abandoned" and deleted.
      const later = Date.now() + 10_000;
      await expect(tryAcquire(lockPath, { now: () => later })).rejects.toMatchObject({
        code: 'ERR_LOCK_CORRUPT',
      });
      expect(readFileSync(lockPath)).toEqual(Buffer.from(body));
    });
  }

  it('an object cut short is still "being written" (a writer may finish it)', () => {
    writeFileSync(lockPath, '{"schemaVersion": 1, "holder": {"pid": 12');
    expect(inspect(lockPath)).toMatchObject({ state: 'held', reason: 'being-written' });
    writeFileSync(lockPath, Buffer.alloc(300));
    expect(inspect(lockPath)).toMatchObject({ state: 'held', reason: 'being-written' });
  });
});

describe('the fencing counter', () => {
  it('a symlink at RUN.lock.fence is a typed error (ERR_LOCK_UNSAFE_PATH), not exit 70', async () => {
    writeFileSync(join(dir, 'elsewhere'), '{"fencingToken": 3}');
    symlinkSync(join(dir, 'elsewhere'), `${lockPath}.fence`);
    const { error } = await timed(() => tryAcquire(lockPath));
    expect(LockError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ERR_LOCK_UNSAFE_PATH',
      path: `${lockPath}.fence`,
      message: `Fencing counter ${lockPath}.fence is a symlink; runwarden never follows a symlink into state.`,
    });
    expect(existsSync(lockPath)).toBe(false);
  });

  it('a directory or a FIFO at RUN.lock.fence is corrupt (kept), not exit 70 or a hang', async () => {
    mkdirSync(`${lockPath}.fence`);
    await expect(tryAcquire(lockPath)).rejects.toMatchObject({
      code: 'ERR_LOCK_CORRUPT',
      message: `Fencing counter ${lockPath}.fence is not valid: it is a directory, not a regular file. It was left exactly as it was.`,
    });
    rmSync(`${lockPath}.fence`, { recursive: true });
    execFileSync('mkfifo', [`${lockPath}.fence`]);
    const { error, ms } = await timed(() => tryAcquire(lockPath));
    expect(error).toMatchObject({ code: 'ERR_LOCK_CORRUPT' });
    expect(ms).toBeLessThan(500);
    expect(readdirSync(join(dir, 'state')).sort()).toEqual(['RUN.lock.fence']);
  });

  it('refuses to pass Number.MAX_SAFE_INTEGER: ERR_LOCK_FENCE_EXHAUSTED, and no lock is left', async () => {
    writeFileSync(`${lockPath}.fence`, JSON.stringify({ fencingToken: MAX_FENCING_TOKEN - 1 }));
    const last = await tryAcquire(lockPath, { heartbeatMs: 0 });
    expect(last.fencingToken).toBe(MAX_FENCING_TOKEN);
    await last.release();
    const { error } = await timed(() => tryAcquire(lockPath, { heartbeatMs: 0 }));
    expect(error).toMatchObject({
      code: 'ERR_LOCK_FENCE_EXHAUSTED',
      path: `${lockPath}.fence`,
      message: `Fencing counter ${lockPath}.fence is spent: the next token would pass ${MAX_FENCING_TOKEN} (Number.MAX_SAFE_INTEGER), and a token is never issued twice.`,
    });
    expect(existsSync(lockPath)).toBe(false);
    expect(JSON.parse(readFileSync(`${lockPath}.fence`, 'utf8')).fencingToken).toBe(
      MAX_FENCING_TOKEN,
    );
  });
});
