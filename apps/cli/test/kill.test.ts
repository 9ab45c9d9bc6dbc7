import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendantsOf, readEnvironVariable } from '@runwarden/process-identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  alive,
  cli,
  killAll,
  runwarden as run,
  startLiveRun as startRun,
  until,
} from './helpers.js';

let dir: string;
let stateDir: string;
const spawned = new Set<number>();

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-kill-'));
  stateDir = join(dir, 'state');
});
afterEach(() => {
  killAll(spawned);
  spawned.clear();
  rmSync(dir, { recursive: true, force: true });
});

const runwarden = (args: string[]) => run(args, { cwd: dir });
/** The pids fake-agent wrote to its pid file, by role (`agent`, `grandchild`). */
const pidsByRole = (file: string): Record<string, number> =>
  existsSync(file)
    ? Object.fromEntries(
        readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(' '))
          .map(([role, pid]) => [role, Number(pid)]),
      )
    : {};

/** Starts `runwarden run` with fake-agent and resolves once the agent has done a turn. */
async function startLiveRun(extra: string[]) {
  const { child, exited, pidFile } = await startRun({ dir, stateDir, extra });
  spawned.add(child.pid!);
  const pids = await until(() => {
    const roles = pidsByRole(pidFile);
    return roles.agent && roles.grandchild ? roles : undefined;
  });
  for (const pid of Object.values(pids)) spawned.add(pid);
  return { child, exited, agentPid: pids.agent!, grandchildPid: pids.grandchild! };
}

describe('runwarden kill', () => {
  it('prints what happened to every process of the run', async () => {
    const { agentPid, grandchildPid, exited } = await startLiveRun([
      '--grandchild',
      '--ignore-sigterm',
    ]);
    const result = await runwarden(['kill', '--grace', '500ms', '--state-dir', stateDir]);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('     PID  OUTCOME     FOUND BY    COMMAND');
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^\\s+${agentPid}  \\w+\\s+token\\s+node \\S*fake-agent`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^\\s+${grandchildPid}  killed\\s+token\\s+node \\S*fake-agent\\.js --role grandchild --ignore-sigterm --pid-file \\S+/pids$`,
        ),
      ),
    );
    expect(result.stderr).toMatch(/run \S+: \d process\(es\) ended \(SIGKILL needed\)/);
    expect(result.stderr).toContain('run ended; lock is free');
    expect(alive(grandchildPid)).toBe(false);
    await exited;
  });
});

describe('runwarden kill and a process that escapes', () => {
  it('lists a process that left the tree without the run token and exits 8, never silently', async () => {
    // On SIGTERM the runner ignores further SIGTERMs (two killers send one each)
    // and moves itself to a new session, without the token.
    const runner = `trap 'trap \\"\\" TERM; exec setsid sleep 30' TERM; while :; do sleep 0.05; done`;
    const child = spawn(
      process.execPath,
      [
        cli,
        'run',
        '--state-dir',
        stateDir,
        '--kill-grace',
        '1s',
        '--',
        'sh',
        '-c',
        `env -u RUNWARDEN_RUN_ID sh -c "${runner}" & exec sleep 30`,
      ],
      { cwd: dir, stdio: 'ignore', env: { ...process.env, CI: '1' } },
    );
    spawned.add(child.pid!);
    const exited = once(child, 'exit');
    const escapee = await until(
      () =>
        descendantsOf(child.pid!).find(
          (row) =>
            row.comm === 'sh' &&
            readEnvironVariable(row.pid, 'RUNWARDEN_RUN_ID').status === 'absent',
        )?.pid,
    );
    spawned.add(escapee);
    const result = await runwarden(['kill', '--grace', '1s', '--state-dir', stateDir, '--json']);
    expect(result.exitCode).toBe(8);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ ok: false, reason: 'UNKILLABLE', exitCode: 8 });
    expect(report.survivors).toContainEqual(
      expect.objectContaining({ pid: escapee, reason: 'escaped' }),
    );
    expect(alive(escapee)).toBe(true);
    // It still holds the run's output pipe: end it so runwarden can finish.
    process.kill(escapee, 'SIGKILL');
    await exited;
  });
});

describe('after the runwarden process itself was SIGKILLed', () => {
  it('status lists the run’s orphans, kill refuses without --force, and kill --force ends them', async () => {
    // The grandchild escapes with setsid and ignores SIGTERM; it keeps RUNWARDEN_RUN_ID.
    const { child, exited, grandchildPid } = await startLiveRun([
      '--setsid-grandchild',
      '--ignore-sigterm',
    ]);
    child.kill('SIGKILL');
    await exited;
    expect(alive(grandchildPid)).toBe(true);

    const status = JSON.parse(
      (await runwarden(['status', '--state-dir', stateDir, '--json'])).stdout,
    );
    expect(status).toMatchObject({
      ok: true,
      state: 'orphaned',
      detail: 'orphaned-run',
      holderPid: child.pid,
      holderAlive: false,
    });
    expect(status.orphanPids).toContain(grandchildPid);
    const human = await runwarden(['status', '--state-dir', stateDir]);
    expect(human.stdout).toContain('orphaned: the runwarden process is gone, its run is not');
    expect(human.stdout).toMatch(new RegExp(`orphans\\s+(\\d+, )*${grandchildPid}\\b`));

    const refused = await runwarden(['kill', '--state-dir', stateDir]);
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toContain(
      `runwarden: LOCK_HELD: runwarden (pid ${child.pid}) is gone, but run ${status.runId} still has`,
    );
    expect(refused.stderr).toContain('runwarden: End them with `runwarden kill --force`.');
    expect(alive(grandchildPid)).toBe(true);

    const forced = await runwarden([
      'kill',
      '--force',
      '--grace',
      '300ms',
      '--state-dir',
      stateDir,
      '--json',
    ]);
    expect(forced.exitCode).toBe(0);
    const report = JSON.parse(forced.stdout);
    expect(report).toMatchObject({
      ok: true,
      reason: 'OK',
      exitCode: 0,
      runId: status.runId,
      lock: 'free',
      survivors: [],
    });
    expect(report.kill.processes).toContainEqual(
      expect.objectContaining({
        pid: grandchildPid,
        via: 'token',
        reason: 'killed',
      }),
    );
    expect(alive(grandchildPid)).toBe(false);
    const after = JSON.parse(
      (await runwarden(['status', '--state-dir', stateDir, '--json'])).stdout,
    );
    expect(after.state).toBe('free');
    // The record closes: the journal ends INTERRUPTED (who ended it), the evidence is written.
    expect(after.run).toMatchObject({ runId: status.runId, state: 'ended', reason: 'INTERRUPTED' });
    expect(report.closedRecord).toMatchObject({ journal: true });
    const runDir = join(stateDir, 'runs', status.runId);
    const ended = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').at(-1)!;
    expect(JSON.parse(ended)).toMatchObject({
      type: 'ended',
      reason: 'INTERRUPTED',
      exitCode: 130,
      endedBy: expect.stringMatching(/^runwarden kill --force \(pid \d+/),
    });
    expect(existsSync(join(runDir, 'evidence', 'SHA256SUMS'))).toBe(true);
  });
});
