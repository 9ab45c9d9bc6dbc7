import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WatchdogError } from './errors.js';
import { FileTail } from './file-tail.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'file-tail-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mkfifo = (path: string) => expect(spawnSync('mkfifo', [path]).status).toBe(0);
const readAll = (tail: FileTail) => {
  const chunks: Buffer[] = [];
  tail.read((chunk) => chunks.push(chunk));
  return Buffer.concat(chunks).toString();
};

describe('FileTail', () => {
  it('reads what is appended after it started, from the end by default', () => {
    const path = join(dir, 'out.log');
    writeFileSync(path, 'before\n');
    const tail = new FileTail(path, 'stdout');
    appendFileSync(path, 'after\n');
    expect(readAll(tail)).toBe('after\n');
    tail.close();
  });

  it('refuses a FIFO at once instead of blocking on its open', () => {
    const path = join(dir, 'out.log');
    mkfifo(path);
    expect(() => new FileTail(path, 'stdout', { create: false })).toThrow(
      expect.objectContaining({ code: 'ERR_UNSAFE_PATH', path }),
    );
  });

  it('stops following, without blocking or throwing, when a FIFO appears where it waits for a file', () => {
    const path = join(dir, 'later.log');
    const tail = new FileTail(path, 'stdout', { create: false });
    mkfifo(path);
    expect(readAll(tail)).toBe('');
    expect(readAll(tail)).toBe('');
    tail.close();
  });

  it('refuses a symlink', () => {
    const path = join(dir, 'out.log');
    writeFileSync(join(dir, 'real.log'), '');
    symlinkSync(join(dir, 'real.log'), path);
    let caught: unknown;
    try {
      new FileTail(path, 'stdout');
    } catch (error) {
      caught = error;
    }
    expect(WatchdogError.isInstance(caught)).toBe(true);
  });
});
