import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLogChain } from '@runwarden/evidence-hasher';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RotatingLog } from './rotating-log.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rotating-log-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('RotatingLog', () => {
  it('keeps every file at or under the cap and the newest backups, like supervisord', () => {
    const path = join(dir, 'stdout.log');
    const log = new RotatingLog(path, { maxBytes: 10, backups: 2 });
    for (let index = 0; index < 5; index++) log.write(Buffer.from(`${index}`.repeat(8)));
    log.close();
    // 40 bytes in 10-byte files: the oldest 10 are dropped with the third rotation.
    expect(readFileSync(path, 'utf8')).toBe('3344444444');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('2222333333');
    expect(readFileSync(`${path}.2`, 'utf8')).toBe('1111112222');
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(log.rotations).toBe(3);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('splits a chunk larger than the room left across files, losing nothing within the backups', () => {
    const path = join(dir, 'stdout.log');
    const log = new RotatingLog(path, { maxBytes: 4, backups: 5 });
    log.write(Buffer.from('abcdefghij'));
    log.close();
    expect(
      [`${path}.2`, `${path}.1`, path].map((file) => readFileSync(file, 'utf8')).join(''),
    ).toBe('abcdefghij');
  });

  it('appends to an existing log and counts its size toward the cap', () => {
    const path = join(dir, 'stdout.log');
    writeFileSync(path, '12345678');
    const log = new RotatingLog(path, { maxBytes: 10, backups: 1 });
    log.write(Buffer.from('abc'));
    log.close();
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('12345678ab');
    expect(readFileSync(path, 'utf8')).toBe('c');
  });

  it('with no backups starts the live file over', () => {
    const path = join(dir, 'stdout.log');
    const log = new RotatingLog(path, { maxBytes: 3, backups: 0 });
    log.write(Buffer.from('abcdefg'));
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('g');
    expect(existsSync(`${path}.1`)).toBe(false);
  });

  it('drops what a pipe still delivers after the log was closed', () => {
    const path = join(dir, 'stdout.log');
    const log = new RotatingLog(path);
    log.write(Buffer.from('before\n'));
    log.close();
    log.write(Buffer.from('after\n'));
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('before\n');
  });

  it('with maxBytes 0 never rotates', () => {
    const path = join(dir, 'stdout.log');
    const log = new RotatingLog(path, { maxBytes: 0 });
    log.write(Buffer.alloc(100_000, 'x'));
    log.close();
    expect(statSync(path).size).toBe(100_000);
    expect(log.rotations).toBe(0);
  });

  it('keeps a hash chain beside every file, rotated with it, that verifies', () => {
    const path = join(dir, 'stdout.log');
    const log = new RotatingLog(path, { maxBytes: 10, backups: 2 });
    for (let index = 0; index < 5; index++) log.write(Buffer.from(`${index}`.repeat(8)));
    log.close();
    for (const file of [path, `${path}.1`, `${path}.2`]) {
      expect(verifyLogChain(file)).toMatchObject({ ok: true, status: 'ok', closed: true });
    }
    expect(existsSync(`${path}.3.sha256chain`)).toBe(false);
  });

  it('lets the chain catch a log cut short after the run', () => {
    const path = join(dir, 'stdout.log');
    const log = new RotatingLog(path);
    log.write(Buffer.alloc(3 * 1024 * 1024, 'y'));
    log.close();
    truncateSync(path, 1024 * 1024 + 5);
    expect(verifyLogChain(path)).toMatchObject({ ok: false, status: 'truncated' });
  });

  it('writes no chain when asked not to', () => {
    const path = join(dir, 'stdout.log');
    const log = new RotatingLog(path, { chain: false });
    log.write(Buffer.from('x'));
    log.close();
    expect(existsSync(`${path}.sha256chain`)).toBe(false);
  });
});
