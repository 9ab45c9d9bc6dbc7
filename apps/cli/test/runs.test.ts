/**
 * One run at a time per target (each target its own RUN.lock), `status`,
 * `logs` and `kill` with `--target`, the history (`runwarden runs`, `ls`),
 * and `logs` of an unknown run id.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alive, killAll, type LiveRun, runwarden as run, startLiveRun } from './helpers.js';

let dir: string;
let stateDir: string;
const spawned: number[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-runs-'));
  stateDir = join(dir, 'state');
});
afterEach(() => {
  killAll(spawned.splice(0));
  rmSync(dir, { recursive: true, force: true });
});

const runwarden = (args: string[]) => run(args, { cwd: dir });
const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown>;
/** `runwarden status --json` (of one target's lock, with `target`). */
const statusOf = async (target?: string) =>
  json(
    (
      await runwarden([
        'status',
        ...(target ? ['--target', target] : []),
        '--state-dir',
        stateDir,
        '--json',
      ])
    ).stdout,
  );

/** A live run on `target`, in its own working directory (its own pid file). */
async function liveOn(target: string): Promise<LiveRun> {
  const cwd = join(dir, target.replace(/\W/g, '-'));
  mkdirSync(cwd);
  const live = await startLiveRun({ dir: cwd, stateDir, runFlags: ['--target', target] });
  spawned.push(live.child.pid!);
  return live;
}
const agentPid = (live: LiveRun) =>
  Number(
    readFileSync(live.pidFile, 'utf8')
      .split('\n')
      .find((line) => line.startsWith('agent '))!
      .split(' ')[1],
  );

describe('one run at a time per target', () => {
  it('runs two targets side by side, refuses a second run on one, and status, logs and kill each target', async () => {
    const a = await liveOn('queue:a');
    const b = await liveOn('Acme/Widgets#12');
    expect(existsSync(join(stateDir, 'targets', 'other', 'queue%3Aa', 'RUN.lock'))).toBe(true);
    expect(existsSync(join(stateDir, 'targets', 'acme', 'widgets', 'pr-12', 'RUN.lock'))).toBe(
      true,
    );
    expect(existsSync(join(stateDir, 'RUN.lock'))).toBe(false);

    const second = await runwarden([
      'run',
      '--target',
      'queue:a',
      '--state-dir',
      stateDir,
      '--',
      'true',
    ]);
    expect(second.exitCode).toBe(5);
    expect(second.stderr).toContain(`is held by pid ${a.child.pid}`);

    const statusA = json(
      (await runwarden(['status', '--target', 'queue:a', '--state-dir', stateDir, '--json']))
        .stdout,
    );
    const statusB = await statusOf('acme/widgets#12');
    expect(statusA).toMatchObject({ state: 'running', holderPid: a.child.pid });
    expect(statusB).toMatchObject({ state: 'running', holderPid: b.child.pid });
    expect(statusA.runId).not.toBe(statusB.runId);
    const untargeted = json(
      (await runwarden(['status', '--state-dir', stateDir, '--json'])).stdout,
    );
    expect(untargeted).toMatchObject({ state: 'free' });
    expect(untargeted.run).toBeUndefined();
    expect(untargeted.targetRuns).toEqual([
      expect.objectContaining({ target: 'acme/widgets#12', holderPid: b.child.pid }),
      expect.objectContaining({ target: 'queue:a', holderPid: a.child.pid, runId: statusA.runId }),
    ]);

    const logsB = await runwarden([
      'logs',
      '--target',
      'acme/widgets#12',
      '--journal',
      '--json',
      '--state-dir',
      stateDir,
    ]);
    expect(json(logsB.stdout)).toMatchObject({ runId: statusB.runId });

    const killed = await runwarden([
      'kill',
      '--target',
      'queue:a',
      '--grace',
      '1s',
      '--state-dir',
      stateDir,
    ]);
    expect(killed.exitCode).toBe(0);
    expect((await a.exited)[0]).toBe(130);
    expect(alive(agentPid(a))).toBe(false);
    expect(alive(agentPid(b))).toBe(true);
    expect(await statusOf('acme/widgets#12')).toMatchObject({ state: 'running' });
    await runwarden([
      'kill',
      '--target',
      'acme/widgets#12',
      '--grace',
      '1s',
      '--state-dir',
      stateDir,
    ]);
    expect((await b.exited)[0]).toBe(130);
  });
});

describe('runwarden runs', () => {
  it('lists the runs newest first: id, target, started, duration, attempts, reason, exit code', async () => {
    const ids: string[] = [];
    for (const args of [
      ['--', 'true'],
      ['--target', 'queue:job-9', '--', 'sh', '-c', 'exit 3'],
      ['--', 'sh', '-c', 'echo ok'],
    ]) {
      const result = await runwarden(['run', '--state-dir', stateDir, '--json', ...args]);
      ids.push(json(result.stdout).runId as string);
    }
    const listed = await runwarden(['runs', '--state-dir', stateDir]);
    expect(listed.exitCode).toBe(0);
    const lines = listed.stdout.split('\n');
    expect(lines[0]).toMatch(/^RUN ID\s+TARGET\s+STARTED\s+DURATION\s+ATTEMPTS\s+REASON\s+EXIT$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).toEqual([...ids].reverse());
    expect(lines[2]).toMatch(
      new RegExp(
        `^${ids[1]}\\s+queue:job-9\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ\\s+\\d+(ms|s)\\s+1\\s+CHILD_FAILED\\s+1$`,
      ),
    );
    expect(lines[3]).toMatch(new RegExp(`^${ids[0]}\\s+-\\s+.*\\s+1\\s+OK\\s+0$`));

    const limited = json(
      (await runwarden(['ls', '--limit', '1', '--json', '--state-dir', stateDir])).stdout,
    );
    expect(limited).toMatchObject({ ok: true, reason: 'OK', exitCode: 0, limit: 1 });
    expect(limited.runs).toEqual([
      expect.objectContaining({
        runId: ids[2],
        state: 'ended',
        reason: 'OK',
        exitCode: 0,
        attempts: 1,
        command: ['sh', '-c', 'echo ok'],
      }),
    ]);
    const ofTarget = json(
      (await runwarden(['runs', '--target', 'queue:job-9', '--json', '--state-dir', stateDir]))
        .stdout,
    );
    expect((ofTarget.runs as { runId: string }[]).map((row) => row.runId)).toEqual([ids[1]]);
  });

  it('takes the newest of quick runs (several in one second) as the last run in status and logs', async () => {
    const ids: string[] = [];
    for (const word of ['one', 'two', 'three', 'four']) {
      const result = await runwarden([
        'run',
        '--state-dir',
        stateDir,
        '--json',
        '--',
        'echo',
        word,
      ]);
      ids.push(json(result.stdout).runId as string);
    }
    // Ids to the second sorted each second's runs by their random part.
    expect([...ids].sort()).toEqual(ids);
    expect(((await statusOf()).run as { runId: string }).runId).toBe(ids[3]);
    const logs = await runwarden(['logs', '--state-dir', stateDir]);
    expect(logs).toMatchObject({ exitCode: 0, stdout: 'four' });
  });

  it('shows a live run as running, and an empty state dir as no runs', async () => {
    expect(await runwarden(['runs', '--state-dir', stateDir])).toMatchObject({
      exitCode: 0,
      stdout: '',
      stderr: `runwarden ▸ no runs yet in ${join(stateDir, 'runs')}`,
    });
    const live = await startLiveRun({ dir, stateDir });
    spawned.push(live.child.pid!);
    const listed = json((await runwarden(['runs', '--json', '--state-dir', stateDir])).stdout);
    expect(listed.runs).toEqual([expect.objectContaining({ state: 'running', attempts: 1 })]);
    live.child.kill('SIGTERM');
    await live.exited;
  });
});

describe('runwarden logs with an unknown run id', () => {
  it('lists the nearest runs, and takes a prefix that names one run', async () => {
    const first = json(
      (await runwarden(['run', '--state-dir', stateDir, '--json', '--', 'sh', '-c', 'echo one']))
        .stdout,
    ).runId as string;
    const unknown = `${first.slice(0, 16)}zzzzzz`;
    const result = await runwarden(['logs', unknown, '--state-dir', stateDir]);
    expect(result).toMatchObject({
      exitCode: 64,
      stdout: '',
      stderr: `runwarden: no run ${unknown} in ${join(stateDir, 'runs')}; the nearest: ${first} (OK)\nrunwarden: \`runwarden runs\` lists them all.`,
    });
    expect(
      json((await runwarden(['logs', unknown, '--json', '--state-dir', stateDir])).stdout),
    ).toMatchObject({ ok: false, reason: 'USAGE', exitCode: 64, nearest: [first] });
    const byPrefix = await runwarden(['logs', first.slice(0, 18), '--state-dir', stateDir]);
    expect(byPrefix).toMatchObject({ exitCode: 0, stdout: 'one' });
  });
});
