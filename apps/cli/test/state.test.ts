/**
 * Odd files where state belongs: exit 7 in milliseconds, never a hang or
 * exit 70; state directories made component by component; `.runtime/` never
 * lands in git.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
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
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentCommand, runwarden as run } from './helpers.js';

let dir: string;
let stateDir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-state-'));
  stateDir = join(dir, 'state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const runwarden = (args: string[]) => run(args, { cwd: dir });
const quick = ['--', process.execPath, '-e', 'console.log("ok")'];

async function timed(args: string[]) {
  const started = performance.now();
  const result = await runwarden(args);
  return { ...result, ms: performance.now() - started };
}

describe('the state directory', () => {
  it('is created 0700 with its own .gitignore holding *, so git never sees it', async () => {
    execFileSync('git', ['init', '-q', dir]);
    const result = await runwarden(['run', ...quick]);
    expect(result.exitCode).toBe(0);
    const runtime = join(dir, '.runtime');
    expect(statSync(runtime).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(runtime, '.gitignore'), 'utf8')).toContain('\n*\n');
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(status).toBe('');
  });

  it('never drops a .gitignore into a directory of the user’s own files', async () => {
    mkdirSync(stateDir, { mode: 0o700 });
    writeFileSync(join(stateDir, 'notes.txt'), 'mine');
    expect((await runwarden(['run', '--state-dir', stateDir, ...quick])).exitCode).toBe(0);
    expect(existsSync(join(stateDir, '.gitignore'))).toBe(false);
  });

  it('a state directory of ours that others may write (0777) is made 0700', async () => {
    mkdirSync(stateDir);
    chmodSync(stateDir, 0o777);
    expect((await runwarden(['run', '--state-dir', stateDir, ...quick])).exitCode).toBe(0);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
  });

  it('a symlinked runs/ is refused (exit 7) before anything lands where it points', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(stateDir, { mode: 0o700 });
    symlinkSync(elsewhere, join(stateDir, 'runs'));
    const result = await runwarden(['run', '--state-dir', stateDir, '--json', ...quick]);
    expect(result.exitCode).toBe(7);
    expect(JSON.parse(result.stdout)).toMatchObject({
      reason: 'INVALID_STATE',
      path: join(stateDir, 'runs'),
      message: `State directory: ${join(stateDir, 'runs')} is a symlink; runwarden never follows a symlink into state.`,
    });
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});

describe('odd files at RUN.lock: exit 7 in milliseconds', () => {
  it('a FIFO: status, run and kill exit 7 at once; kill --force moves it aside', async () => {
    mkdirSync(stateDir, { mode: 0o700 });
    const lock = join(stateDir, 'RUN.lock');
    execFileSync('mkfifo', [lock]);
    for (const args of [
      ['status', '--state-dir', stateDir],
      ['run', '--state-dir', stateDir, ...quick],
      ['kill', '--state-dir', stateDir],
    ]) {
      const result = await timed(args);
      expect({ args, exitCode: result.exitCode }).toEqual({ args, exitCode: 7 });
      expect(result.stderr).toContain('it is a FIFO, not a regular file');
      expect(result.ms).toBeLessThan(5000);
    }
    const forced = await timed(['kill', '--force', '--state-dir', stateDir, '--json']);
    expect(forced.exitCode).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ action: 'moved-corrupt' });
    expect(existsSync(lock)).toBe(false);
  });

  it('a lock body that can never be JSON is corrupt at once and kept', async () => {
    mkdirSync(stateDir, { mode: 0o700 });
    const lock = join(stateDir, 'RUN.lock');
    writeFileSync(lock, '{"schemaVersion":1} xx');
    const result = await runwarden(['run', '--state-dir', stateDir, ...quick]);
    expect(result.exitCode).toBe(7);
    expect(readFileSync(lock, 'utf8')).toBe('{"schemaVersion":1} xx');
  });

  it('RUN.lock.fence as a symlink or a directory is exit 7, not 70', async () => {
    mkdirSync(stateDir, { mode: 0o700 });
    symlinkSync('/dev/null', join(stateDir, 'RUN.lock.fence'));
    const linked = await runwarden(['run', '--state-dir', stateDir, '--json', ...quick]);
    expect(linked.exitCode).toBe(7);
    expect(JSON.parse(linked.stdout).message).toContain('is a symlink');
    rmSync(join(stateDir, 'RUN.lock.fence'));
    mkdirSync(join(stateDir, 'RUN.lock.fence'));
    expect((await runwarden(['run', '--state-dir', stateDir, ...quick])).exitCode).toBe(7);
  });
});

describe('a FIFO as a progress source', () => {
  it('--heartbeat-file on a FIFO: the mission timeout still fires (exit 2)', async () => {
    const fifo = join(dir, 'heartbeat');
    execFileSync('mkfifo', [fifo]);
    const result = await timed([
      'run',
      '--state-dir',
      stateDir,
      '--heartbeat-file',
      fifo,
      '--watch',
      fifo,
      '--mission-timeout',
      '1s',
      '--kill-grace',
      '1s',
      '--',
      ...agentCommand({ turns: 100_000, turnMs: 50 }),
    ]);
    expect(result.exitCode).toBe(2);
    expect(result.ms).toBeLessThan(15_000);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});

describe('target keys and stores the file system refuses', () => {
  it('a key whose file name passes the limit is exit 64 naming the limit in bytes', async () => {
    const result = await runwarden([
      'claim',
      'ü'.repeat(200),
      '--run-id',
      'r1',
      '--state-dir',
      stateDir,
    ]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr).toContain('the file store allows 200 bytes');
  });

  it('a directory at a target file is exit 7 naming it', async () => {
    const path = join(stateDir, 'coordination', 'acme', 'widgets', 'pr-1.json');
    mkdirSync(path, { recursive: true, mode: 0o700 });
    const result = await runwarden([
      'claim',
      'acme/widgets#1',
      '--run-id',
      'r1',
      '--state-dir',
      stateDir,
    ]);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(`${path} is unusable: it is a directory, not a regular file`);
  });
});
