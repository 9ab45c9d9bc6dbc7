import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CoordinationError, FileStore } from '../src/index.js';
import { MAX_RECORD_NAME_BYTES } from '../src/internal.js';

let dir: string;
let directory: string;
let store: FileStore;
const servers: Server[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'coordination-odd-'));
  directory = join(dir, 'coordination');
  store = new FileStore({ directory, lockWaitMs: 1000 });
});
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  chmodSync(dir, 0o700);
  if (existsSync(directory)) chmodSync(directory, 0o700);
  rmSync(dir, { recursive: true, force: true });
});

async function failureOf(work: () => Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('expected a failure');
}

describe('odd files where the file store keeps state', () => {
  it('a FIFO at a target file is ERR_INVALID_STATE at once, for claim and for reads', async () => {
    mkdirSync(join(directory, 'other'), { recursive: true, mode: 0o700 });
    const path = store.pathOf('queue:item-7');
    execFileSync('mkfifo', [path]);
    for (const work of [
      () => store.claim('queue:item-7', { runId: 'run-a' }),
      () => store.get('queue:item-7'),
      () => store.assertOwnership('queue:item-7', { runId: 'run-a' }),
    ]) {
      const { error, ms } = await failureOf(work);
      expect(CoordinationError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'ERR_INVALID_STATE',
        path,
        message: `Coordination state ${path} is unusable: it is a FIFO, not a regular file. It was left exactly as it was.`,
      });
      expect(ms).toBeLessThan(500);
    }
    expect(statSync(path).isFIFO()).toBe(true);
  });

  it('a socket or a directory at a target file is ERR_INVALID_STATE, not an internal error', async () => {
    mkdirSync(join(directory, 'acme', 'widgets'), { recursive: true, mode: 0o700 });
    const socket = store.pathOf('acme/widgets#1');
    const server = createServer();
    servers.push(server);
    await new Promise<void>((settle) => server.listen(socket, () => settle()));
    await expect(store.claim('acme/widgets#1', { runId: 'r' })).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      path: socket,
    });
    const directoryThere = store.pathOf('acme/widgets#2');
    mkdirSync(directoryThere);
    await expect(store.claim('acme/widgets#2', { runId: 'r' })).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      message: `Coordination state ${directoryThere} is unusable: it is a directory, not a regular file. It was left exactly as it was.`,
    });
  });

  it('a symlinked coordination directory is refused before any mkdir through it', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, directory);
    await expect(store.claim('acme/widgets#3', { runId: 'r' })).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      path: directory,
    });
    await expect(store.get('acme/widgets#3')).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
    });
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)(
    'an unwritable coordination directory is ERR_STORE_IO with the path and a way out (not as root: root writes anyway)',
    async () => {
      mkdirSync(directory, { mode: 0o500 });
      await expect(store.claim('queue:x', { runId: 'r' })).rejects.toMatchObject({
        code: 'ERR_STORE_IO',
      });
    },
  );

  it('an unreadable target file is ERR_STORE_IO naming it (as nobody when run as root)', async () => {
    await store.claim('queue:x', { runId: 'r' });
    const path = store.pathOf('queue:x');
    chmodSync(path, 0o000);
    if (process.getuid?.() === 0) {
      // Root reads anything: run the read as nobody, from a copy of this package nobody can load.
      chmodSync(dir, 0o755);
      chmodSync(directory, 0o755);
      chmodSync(join(directory, 'other'), 0o755);
      const script = `import('${join(import.meta.dirname, '..', 'dist', 'index.js')}').then(async ({ FileStore }) => { try { await new FileStore({ directory: '${directory}' }).get('queue:x'); console.log('read'); } catch (error) { console.log(error.code, error.path, error.hint); } })`;
      const out = execFileSync(
        'setpriv',
        ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script],
        { encoding: 'utf8' },
      ).trim();
      expect(out).toBe(
        `ERR_STORE_IO ${path} Make ${join(directory, 'other')} writable by this user (mode 0700), or point --coordination-dir (or --state-dir) elsewhere.`,
      );
      return;
    }
    await expect(store.get('queue:x')).rejects.toMatchObject({ code: 'ERR_STORE_IO', path });
  });
});

describe('target keys the file system cannot name', () => {
  it(`a key within 200 characters whose file name passes ${MAX_RECORD_NAME_BYTES} bytes is ERR_INVALID_TARGET naming the limit in bytes`, async () => {
    for (const key of ['ü'.repeat(200), `q:${'/'.repeat(80)}`]) {
      const { error } = await failureOf(() => store.claim(key, { runId: 'r' }));
      expect(error).toMatchObject({ code: 'ERR_INVALID_TARGET' });
      expect((error as Error).message).toContain(
        `and the file store allows ${MAX_RECORD_NAME_BYTES} bytes (255, the file system's limit, less 55 for the lock and temp files beside it).`,
      );
    }
    expect(existsSync(join(directory, 'other'))).toBe(false);
  });

  it('the longest key that fits is stored, locked and released', async () => {
    const key = 'k'.repeat(MAX_RECORD_NAME_BYTES - '.json'.length);
    expect(await store.claim(key, { runId: 'r' })).toMatchObject({ ok: true });
    expect(await store.release(key, 'r')).toMatchObject({ ok: true, status: 'released' });
  });
});
