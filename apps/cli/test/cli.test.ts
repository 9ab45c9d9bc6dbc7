import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agentCommand,
  alive,
  cli,
  killAll,
  runwarden as run,
  startLiveRun as startRun,
  until,
} from './helpers.js';

let dir: string;
let stateDir: string;
const spawned: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-cli-'));
  stateDir = join(dir, 'state');
});
afterEach(() => {
  killAll(spawned.splice(0));
  rmSync(dir, { recursive: true, force: true });
});

const runwarden = (args: string[], options: { cwd?: string } = {}) =>
  run(args, { cwd: options.cwd ?? dir });
const pidsIn = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => Number(line.split(' ')[1]));

/** Starts `runwarden run` in the background and resolves once its child is running. */
async function startLiveRun(extra: string[] = [], runFlags: string[] = []) {
  const live = await startRun({ dir, stateDir, extra, runFlags });
  spawned.push(live.child.pid!);
  return live;
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
      '3s',
      '--kill-grace',
      '500ms',
      '--json',
      '--',
      ...agentCommand({
        grandchild: true,
        ignoreSigterm: true,
        turns: 100_000,
        turnMs: 50,
        pidFile,
      }),
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
    const { child, pidFile, exited } = await startLiveRun();
    // The whole run dies at once (the OOM killer, a container stop): runwarden and its agent.
    child.kill('SIGKILL');
    await exited;
    const agents = pidsIn(pidFile);
    killAll(agents);
    await until(() => agents.every((pid) => !alive(pid)));
    const status = JSON.parse(
      (await runwarden(['status', '--state-dir', stateDir, '--json'])).stdout,
    );
    expect(status).toMatchObject({
      state: 'stale',
      detail: 'holder-dead',
      holderPid: child.pid,
      holderAlive: false,
    });
    const next = await runwarden(['run', '--state-dir', stateDir, '--json', '--', 'true']);
    expect(next.exitCode).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ ok: true, reason: 'OK', attempts: 1 });
    expect(existsSync(join(stateDir, 'RUN.lock'))).toBe(false);
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
    [
      ['run', '--quota-pattern', '(', '--', 'true'],
      '--quota-pattern: is not a valid regular expression',
    ],
    [
      ['run', '--service', 'x', '--ready-url', 'localhost:80', '--', 'true'],
      '--ready-url: must be an http:// or https:// URL',
    ],
    [['run', '--ready-port', '4096', '--', 'true'], '--ready-port: needs --service'],
    [
      ['run', '--progress-timeout', '1m', '--', 'true'],
      '--progress-timeout: needs --watch or --heartbeat-file',
    ],
    [['run', '--log-max-size', 'huge', '--', 'true'], "--log-max-size: 'huge' is not a size"],
    [['run', '--adopt', '999999999', '--', 'true'], '--adopt: no live process with pid 999999999'],
    [['logs', '--stream', 'both'], "--stream: 'both' is not stdout, stderr or all"],
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

describe('runwarden run, signals', () => {
  it('SIGTERM to runwarden mid-run ends the whole tree, releases the lock, exits 130', async () => {
    const { child, pidFile, exited } = await startLiveRun(
      ['--grandchild', '--ignore-sigterm'],
      ['--kill-grace', '500ms'],
    );
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(130);
    const pids = pidsIn(pidFile);
    expect(pids.length).toBe(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(existsSync(join(stateDir, 'RUN.lock'))).toBe(false);
    const runs = readdirSync(join(stateDir, 'runs'));
    const events = readFileSync(join(stateDir, 'runs', runs[0]!, 'journal.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.slice(-3).map((event) => [event.type, event.reason])).toEqual([
      ['interrupted', 'INTERRUPTED'],
      ['kill', null],
      ['ended', 'INTERRUPTED'],
    ]);
  });

  it('a service that never gets ready: exit 3, STARTUP_TIMEOUT, nothing left running', async () => {
    const result = await runwarden([
      'run',
      '--state-dir',
      stateDir,
      '--service',
      'exec sleep 30',
      '--ready-port',
      '9',
      '--ready-timeout',
      '500ms',
      '--json',
      '--',
      'true',
    ]);
    expect(result.exitCode).toBe(3);
    expect(JSON.parse(result.stdout)).toMatchObject({ reason: 'STARTUP_TIMEOUT', attempts: 0 });
  });
});

describe('runwarden logs', () => {
  it('shows the last lines of the latest run, per stream, and its journal', async () => {
    await runwarden([
      'run',
      '--state-dir',
      stateDir,
      '--',
      'sh',
      '-c',
      'for i in 1 2 3 4 5; do echo "line $i"; done; echo "oops" >&2',
    ]);
    const tail = await runwarden(['logs', '-n', '2', '--state-dir', stateDir]);
    expect(tail.exitCode).toBe(0);
    expect(tail.stdout).toBe('line 4\nline 5');
    expect(tail.stderr).toBe('oops');
    const json = JSON.parse((await runwarden(['logs', '--json', '--state-dir', stateDir])).stdout);
    expect(json).toMatchObject({
      ok: true,
      reason: 'OK',
      exitCode: 0,
      lines: { stdout: ['line 1', 'line 2', 'line 3', 'line 4', 'line 5'], stderr: ['oops'] },
    });
    const journal = await runwarden(['logs', '--journal', '--state-dir', stateDir]);
    expect(journal.stdout).toMatch(/DONE after 1 attempt\(s\) \(exit-0\)\n.*ended OK: Completed/);
  });

  it('follows a live run until it ends', async () => {
    const live = spawn(
      process.execPath,
      [cli, 'run', '--state-dir', stateDir, '--', ...agentCommand({ turns: 6, turnMs: 150 })],
      { cwd: dir, stdio: 'ignore', env: { ...process.env, CI: '1' } },
    );
    spawned.push(live.pid!);
    const deadline = Date.now() + 20_000;
    while (
      !existsSync(join(stateDir, 'runs')) ||
      readdirSync(join(stateDir, 'runs')).length === 0
    ) {
      if (Date.now() > deadline) throw new Error('the run did not start');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const followed = await runwarden([
      'logs',
      '-f',
      '-n',
      '0',
      '--stream',
      'stdout',
      '--state-dir',
      stateDir,
    ]);
    expect(followed.exitCode).toBe(0);
    expect(followed.stdout).toContain('fake-agent: turn 6 done');
    expect(followed.stdout).toContain('fake-agent: turn ended');
  });

  it('refuses --follow with --json: exit 64, one JSON object', async () => {
    const result = await runwarden(['logs', '--follow', '--json', '--state-dir', stateDir]);
    expect(result.exitCode).toBe(64);
    expect(JSON.parse(result.stdout)).toMatchObject({
      ok: false,
      reason: 'USAGE',
      exitCode: 64,
      message: '--json: cannot be combined with --follow',
    });
  });

  it('refuses an unknown run with exit 64', async () => {
    const result = await runwarden(['logs', 'no-such-run', '--state-dir', stateDir]);
    expect(result.exitCode).toBe(64);
    expect(result.stderr.trim()).toBe(`runwarden: no run no-such-run in ${join(stateDir, 'runs')}`);
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

  it('with the lock free, says how the latest run ended', async () => {
    await runwarden(['run', '--state-dir', stateDir, '--max-resumes', '0', '--', 'false']);
    const report = JSON.parse(
      (await runwarden(['status', '--state-dir', stateDir, '--json'])).stdout,
    );
    expect(report).toMatchObject({
      state: 'free',
      run: { state: 'ended', reason: 'CHILD_FAILED', exitCode: 1 },
    });
    const human = await runwarden(['status', '--state-dir', stateDir]);
    expect(human.stdout).toMatch(/last run\s+\S+: CHILD_FAILED \(exit 1\)/);
  });

  it('reports the holder of a live run: pid, alive, run id', async () => {
    const { child } = await startLiveRun();
    const report = JSON.parse(
      (await runwarden(['status', '--state-dir', stateDir, '--json'])).stdout,
    );
    expect(report).toMatchObject({ state: 'running', holderPid: child.pid, holderAlive: true });
    expect(report.run).toMatchObject({
      state: 'running',
      attempt: 1,
      budgetSpent: 0,
      maxResumes: 20,
    });
    expect(report.runId).toMatch(/^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);
  });
});
