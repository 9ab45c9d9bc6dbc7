import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePrivateDirectory, readRegularFile, StatePathError } from '../src/index.js';

let dir: string;
const servers: Server[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'safe-fs-'));
});
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
  rmSync(dir, { recursive: true, force: true });
});

function problemOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (StatePathError.isInstance(error)) return `${error.problem} ${error.path}`;
    throw error;
  }
  return undefined;
}

function listenOn(path: string): Promise<void> {
  const server = createServer();
  servers.push(server);
  return new Promise((settle) => server.listen(path, () => settle()));
}

describe('ensurePrivateDirectory', () => {
  it('creates every component below the root with mode 0700', () => {
    const root = join(dir, 'state');
    const result = ensurePrivateDirectory(join(root, 'runs', 'r1'), { root });
    expect(result.created).toEqual([root, join(root, 'runs'), join(root, 'runs', 'r1')]);
    for (const path of result.created) expect(statSync(path).mode & 0o777).toBe(0o700);
  });

  it('refuses a symlinked component before making anything through it', () => {
    const root = join(dir, 'state');
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(root, { mode: 0o700 });
    mkdirSync(elsewhere);
    symlinkSync(elsewhere, join(root, 'runs'));
    expect(problemOf(() => ensurePrivateDirectory(join(root, 'runs', 'r1'), { root }))).toBe(
      `symlink ${join(root, 'runs')}`,
    );
    expect(existsSync(join(elsewhere, 'r1'))).toBe(false);
  });

  it('refuses a symlinked root and a file in place of a directory', () => {
    symlinkSync(join(dir), join(dir, 'link'));
    expect(problemOf(() => ensurePrivateDirectory(join(dir, 'link')))).toBe(
      `symlink ${join(dir, 'link')}`,
    );
    writeFileSync(join(dir, 'file'), '');
    expect(problemOf(() => ensurePrivateDirectory(join(dir, 'file', 'x'), { root: dir }))).toBe(
      `not-directory ${join(dir, 'file')}`,
    );
  });

  it('makes private a directory of ours that others may write (0777 → 0700)', () => {
    const root = join(dir, 'state');
    mkdirSync(root);
    chmodSync(root, 0o777);
    expect(ensurePrivateDirectory(root).fixed).toEqual([root]);
    expect(statSync(root).mode & 0o777).toBe(0o700);
  });

  it.skipIf(process.getuid?.() !== 0)(
    'refuses a directory of another user, and a shared sticky one (needs root to chown)',
    () => {
      const root = join(dir, 'theirs');
      mkdirSync(root, { mode: 0o700 });
      chownSync(root, 65534, 65534);
      expect(problemOf(() => ensurePrivateDirectory(root))).toBe(`writable-by-others ${root}`);
      const shared = join(dir, 'shared');
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      expect(problemOf(() => ensurePrivateDirectory(shared))).toBe(`writable-by-others ${shared}`);
      expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    },
  );
});

describe('readRegularFile', () => {
  it('reads a regular file whole, and null when there is none', () => {
    writeFileSync(join(dir, 'a.json'), '{"a":1}');
    expect(readRegularFile(join(dir, 'a.json'), { maxBytes: 64 })?.bytes.toString()).toBe(
      '{"a":1}',
    );
    expect(readRegularFile(join(dir, 'none'), { maxBytes: 64 })).toBeNull();
  });

  it('refuses a FIFO at once instead of waiting for a writer', () => {
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    const started = performance.now();
    expect(problemOf(() => readRegularFile(join(dir, 'fifo'), { maxBytes: 64 }))).toBe(
      `not-regular-file ${join(dir, 'fifo')}`,
    );
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a socket, a directory and a symlink', async () => {
    await listenOn(join(dir, 'sock'));
    expect(problemOf(() => readRegularFile(join(dir, 'sock'), { maxBytes: 64 }))).toBe(
      `not-regular-file ${join(dir, 'sock')}`,
    );
    mkdirSync(join(dir, 'd'));
    expect(problemOf(() => readRegularFile(join(dir, 'd'), { maxBytes: 64 }))).toBe(
      `not-regular-file ${join(dir, 'd')}`,
    );
    writeFileSync(join(dir, 'real'), 'x');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(problemOf(() => readRegularFile(join(dir, 'link'), { maxBytes: 64 }))).toBe(
      `symlink ${join(dir, 'link')}`,
    );
    expect(
      readRegularFile(join(dir, 'link'), { maxBytes: 64, follow: true })?.bytes.toString(),
    ).toBe('x');
  });

  it('refuses a file larger than the bound without reading it', () => {
    writeFileSync(join(dir, 'big'), Buffer.alloc(65 * 1024, 0x20));
    expect(problemOf(() => readRegularFile(join(dir, 'big'), { maxBytes: 64 * 1024 }))).toBe(
      `too-large ${join(dir, 'big')}`,
    );
  });
});

describe('openAppendFile', () => {
  it('creates a 0600 file, and refuses a FIFO, a socket and a symlink at once', async () => {
    const { openAppendFile } = await import('../src/index.js');
    const { closeSync, writeSync, readFileSync } = await import('node:fs');
    const fd = openAppendFile(join(dir, 'log'));
    writeSync(fd, 'a');
    closeSync(fd);
    expect(statSync(join(dir, 'log')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('a');
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    expect(problemOf(() => openAppendFile(join(dir, 'fifo')))).toBe(
      `not-regular-file ${join(dir, 'fifo')}`,
    );
    await listenOn(join(dir, 'sock'));
    expect(problemOf(() => openAppendFile(join(dir, 'sock')))).toBe(
      `not-regular-file ${join(dir, 'sock')}`,
    );
    symlinkSync(join(dir, 'log'), join(dir, 'link'));
    expect(problemOf(() => openAppendFile(join(dir, 'link')))).toBe(`symlink ${join(dir, 'link')}`);
  });
});
