import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { getProcessInfoSync } from '@runwarden/process-identity';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
const agent = createRequire(import.meta.url).resolve('@runwarden/fake-agent');
let dir: string;
let stateDir: string;
const spawned: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-cli-'));
  stateDir = join(dir, 'state');
});
afterEach(() => {
  for (const pid of spawned.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const runwarden = (args: string[], options: { cwd?: string } = {}) =>
  execa(process.execPath, [cli, ...args], {
    reject: false,
    cwd: options.cwd ?? dir,
    env: { CI: '1' },
  });
const alive = (pid: number) => {
  const info = getProcessInfoSync(pid, { cmdline: false });
  return info !== null && info.state !== 'Z';
};
const pidsIn = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split(' ')[1]));

/** Starts `runwarden run` in the background and resolves once its child is running. */
async function startLiveRun(extra: string[] = []) {
  const pidFile = join(dir, 'pids');
  const child = spawn(
    process.execPath,
    [
      cli,
      'run',
      '--state-dir',
      stateDir,
      '--',
      process.execPath,
      agent,
      '--turns',
      '100000',
      '--turn-ms',
      '50',
      '--pid-file',
      pidFile,
      ...extra,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } },
  );
  spawned.push(child.pid!);
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve) =>
    lines.on('line', (line) => line.includes('turn 1 done') && resolve()),
  );
  return { child, pidFile, exited };
}

describe('runwarden run', () => {
  it('runs a command, tees its output to the logs and leaves evidence sha256sum -c accepts', async () => {
    const result = await runwarden([
      'run',
      '--state-dir',
      stateDir,
      '--json',
      '--',
      process.execPath,
      '-e',
      'console.log("built")',
    ]);
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: true, reason: 'OK', exitCode: 0, attempts: 1 });
    expect(readFileSync(join(report.runDir, 'stdout.log'), 'utf8')).toBe('built\n');
    const check = await execa('sha256sum', ['-c', 'evidence/SHA256SUMS'], {
      cwd: report.runDir,
      reject: false,
    });
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toContain('journal.jsonl: OK');
    expect(existsSync(join(stateDir, 'RUN.lock'))).toBe(false);
  });

  it('refuses a second run at once with exit 5 and the holder pid', async () => {
    const { child } = await startLiveRun();
    const second = await runwarden(['run', '--state-dir', stateDir, '--', 'true']);
    expect(second.exitCode).toBe(5);
    expect(second.stderr).toContain(
      `LOCK_HELD: Lock ${join(stateDir, 'RUN.lock')} is held by pid ${child.pid}`,
    );
  });

  it('ends a tree that ignores SIGTERM at the mission timeout: exit 2, nothing left alive', async () => {
    const pidFile = join(dir, 'pids');
    const result = await runwarden([
      'run',
      '--state-dir',
      stateDir,
      '--mission-timeout',
      '1s',
      '--kill-grace',
      '500ms',
      '--json',
      '--',
      process.execPath,
      agent,
      '--grandchild',
      '--ignore-sigterm',
      '--turns',
      '100000',
      '--turn-ms',
      '50',
      '--pid-file',
      pidFile,
    ]);
    expect(result.exitCode).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({
      reason: 'MISSION_TIMEOUT',
      exitCode: 2,
      timedOut: true,
    });
    const pids = pidsIn(pidFile);
    expect(pids.length).toBe(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('takes over the lock of a holder killed with SIGKILL without --force', async () => {
    const { child, exited } = await startLiveRun();
    child.kill('SIGKILL');
    await exited;
    const status = JSON.parse(
      (await runwarden(['status', '--state-dir', stateDir, '--json'])).stdout,
    );
    // the agent dies with its stdout pipe, or lingers as an orphan: either way status says so
    expect(['stale', 'orphaned']).toContain(status.state);
    if (status.state === 'orphaned')
      expect((await runwarden(['kill', '--force', '--state-dir', stateDir])).exitCode).toBe(0);
    const next = await runwarden(['run', '--state-dir', stateDir, '--', 'true']);
    expect(next.exitCode).toBe(0);
  });

  it('refuses a garbage RUN.lock with exit 7, the path and the way out, and keeps the file', async () => {
    await runwarden(['run', '--state-dir', stateDir, '--', 'true']);
    const lock = join(stateDir, 'RUN.lock');
    writeFileSync(lock, 'garbage\n');
    const result = await runwarden(['run', '--state-dir', stateDir, '--', 'true']);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(`INVALID_STATE: Lock file ${lock} is not a valid lock`);
    expect(result.stderr).toContain('runwarden kill --force');
    expect(readFileSync(lock, 'utf8')).toBe('garbage\n');
    const cleared = await runwarden(['kill', '--force', '--state-dir', stateDir]);
    expect(cleared.exitCode).toBe(0);
    expect(readdirSync(stateDir).some((name) => name.startsWith('RUN.lock.corrupt-'))).toBe(true);
  });

  it.each([
    [
      ['run', '--mission-timeout', 'soon', '--', 'true'],
      "--mission-timeout: 'soon' is not a duration",
    ],
    [
      ['run', '--max-resumes', '-1', '--', 'true'],
      "--max-resumes: '-1' is not a non-negative integer",
    ],
    [['run', '--frobnicate', '--', 'true'], "unknown option '--frobnicate'"],
  ])('exits 64 with one line for bad flags: %j', async (args, message) => {
    const result = await runwarden([
      ...args.slice(0, 1),
      '--state-dir',
      stateDir,
      ...args.slice(1),
    ]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
  });
});

describe('runwarden kill', () => {
  it('ends the live run’s whole tree within the grace period plus one second, and frees the lock', async () => {
    const { pidFile, exited } = await startLiveRun(['--grandchild', '--ignore-sigterm']);
    const started = Date.now();
    const result = await runwarden(['kill', '--grace', '1s', '--state-dir', stateDir, '--json']);
    const elapsedMs = Date.now() - started;
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, lock: 'free' });
    expect(elapsedMs).toBeLessThan(2000 + 1000);
    for (const pid of pidsIn(pidFile)) expect(alive(pid)).toBe(false);
    expect(existsSync(join(stateDir, 'RUN.lock'))).toBe(false);
    const [code] = await exited;
    expect(code).toBe(130);
  });
});

describe('runwarden status', () => {
  it('reports a free lock', async () => {
    const result = await runwarden(['status', '--state-dir', stateDir, '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, reason: 'OK', state: 'free' });
  });

  it('reports the holder of a live run: pid, alive, run id', async () => {
    const { child } = await startLiveRun();
    const report = JSON.parse(
      (await runwarden(['status', '--state-dir', stateDir, '--json'])).stdout,
    );
    expect(report).toMatchObject({ state: 'running', holderPid: child.pid, holderAlive: true });
    expect(report.runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
  });
});
