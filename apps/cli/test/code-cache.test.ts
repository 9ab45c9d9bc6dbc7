/**
 * The bin's code cache (bin/runwarden.cjs, src/code-cache.ts): written once
 * per command in a private directory, used only for the very bundle it was
 * made from, replaced when it is not, and never followed through a symlink.
 */
import {
  cpSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from './helpers.js';

let dir: string;
let cacheHome: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-code-cache-'));
  cacheHome = join(dir, 'cache');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Where this Node.js keeps the caches under `cacheHome`. */
const cacheDir = () => join(cacheHome, 'runwarden', `v8-${process.version}-${process.arch}`);
/** The one cache file of a command (`status-<install>.v8`). */
const cacheFileOf = (key: string) => {
  const names = readdirSync(cacheDir()).filter((name) => name.startsWith(`${key}-`));
  expect(names).toHaveLength(1);
  return join(cacheDir(), names[0]!);
};
const start = (bin: string, args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [bin, ...args], {
    cwd: dir,
    env: { CI: '1', XDG_CACHE_HOME: cacheHome, ...env },
    reject: false,
  });

describe('the code cache of the bin', () => {
  it('is written by the first start of a command (0600 in a 0700 directory) and used, unchanged, by the next', async () => {
    const first = await start(cli, ['status', '--state-dir', join(dir, 'state'), '--json']);
    expect(first.exitCode, first.stderr).toBe(0);
    const file = cacheFileOf('status');
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const bundle = readFileSync(join(cli, '..', '..', 'dist', 'cli.cjs'));
    const content = readFileSync(file);
    expect(content.toString('latin1', 0, 4)).toBe('RWV8');
    expect(content.readUInt32LE(4)).toBe(bundle.length);
    expect(content.subarray(8, 8 + bundle.length).equals(bundle)).toBe(true);
    expect(content.length).toBeGreaterThan(8 + bundle.length);

    const before = statSync(file);
    const second = await start(cli, ['status', '--state-dir', join(dir, 'state'), '--json']);
    expect(second.stdout).toBe(first.stdout);
    // Accepted: a rejected cache would have been written again (a new file, renamed over it).
    expect(statSync(file)).toMatchObject({ ino: before.ino, mtimeMs: before.mtimeMs });
    expect(readdirSync(cacheDir())).toHaveLength(1);
  });

  it('never runs the code of another bundle of the same length: the changed bundle runs, and its cache replaces the old', async () => {
    // The bin and bundle as installed, in a copy whose bundle we may change.
    const installed = join(dir, 'installed');
    for (const part of ['bin', 'dist', 'package.json'])
      cpSync(join(cli, '..', '..', part), join(installed, part), { recursive: true });
    const bin = join(installed, 'bin', 'runwarden.cjs');
    const bundle = join(installed, 'dist', 'cli.cjs');
    expect((await start(bin, ['--help'])).stdout).toContain('Keep long-running autonomous runs');
    const file = cacheFileOf('program');
    const text = readFileSync(bundle, 'utf8');
    expect(text).toContain('Keep long-running autonomous runs');
    // Same length, other text: V8 checks only a cache's source length.
    writeFileSync(
      bundle,
      text.replace('Keep long-running autonomous runs', 'KEEP LONG-RUNNING AUTONOMOUS RUNS'),
    );
    const changed = await start(bin, ['--help']);
    expect(changed.stdout).toContain('KEEP LONG-RUNNING AUTONOMOUS RUNS');
    expect(readFileSync(file).subarray(8).includes('KEEP LONG-RUNNING AUTONOMOUS RUNS')).toBe(true);
  });

  it('replaces a cache file that is not one, and the command runs as usual', async () => {
    expect((await start(cli, ['--version'])).exitCode).toBe(0);
    const file = cacheFileOf('program');
    writeFileSync(file, 'RWV8 not a cache', { mode: 0o600 });
    const version = await start(cli, ['--version']);
    expect(version.exitCode, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect(readFileSync(file).toString('latin1', 0, 4)).toBe('RWV8');
    expect(readFileSync(file).length).toBeGreaterThan(1000);
  });

  it('never follows a symlink in place of a cache file, nor writes through it', async () => {
    expect((await start(cli, ['--version'])).exitCode).toBe(0);
    const file = cacheFileOf('program');
    const elsewhere = join(dir, 'elsewhere');
    writeFileSync(elsewhere, 'not yours');
    rmSync(file);
    symlinkSync(elsewhere, file);
    const version = await start(cli, ['--version']);
    expect(version.exitCode, version.stderr).toBe(0);
    expect(lstatSync(file).isSymbolicLink()).toBe(true);
    expect(readFileSync(elsewhere, 'utf8')).toBe('not yours');
  });

  it('is left alone with NODE_DISABLE_COMPILE_CACHE=1 or --enable-source-maps: nothing written, a bad file not replaced', async () => {
    expect((await start(cli, ['--version'])).exitCode).toBe(0);
    const file = cacheFileOf('program');
    writeFileSync(file, 'RWV8 not a cache', { mode: 0o600 });
    const off = await start(cli, ['--version'], { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(off.exitCode, off.stderr).toBe(0);
    const mapped = await execa(
      process.execPath,
      ['--enable-source-maps', cli, 'status', '--json'],
      {
        cwd: dir,
        env: { CI: '1', XDG_CACHE_HOME: cacheHome, RUNWARDEN_STATE_DIR: join(dir, 'state') },
        reject: false,
      },
    );
    expect(mapped.exitCode, mapped.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('RWV8 not a cache');
    expect(readdirSync(cacheDir())).toEqual([file.slice(cacheDir().length + 1)]);
  });
});
