import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from '@runwarden/lock-core';
import { findRunProcesses, type JournalEvent } from '@runwarden/watchdog';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agent,
  agentPids,
  alive,
  cli,
  killAll,
  type RunningSupervisor,
  runJournals,
  startSupervisor,
  until,
  writeConfig,
} from './helpers.js';

let dir: string;
let stateDir: string;
const supervisors: RunningSupervisor[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-adopt-'));
  stateDir = join(dir, '.runtime');
  writeConfig(
    dir,
    `loops:
  builder:
    command: ["${process.execPath}", "${agent}", "--state", "state.json", "--turns", "100000", "--turn-ms", "100", "--hang-after", "30", "--hang-on-life", "1"]
    run: { idleTimeout: 1500ms, startupTimeout: 10s, maxResumes: 3, killGrace: 500ms, backoff: { initial: 10ms, max: 20ms } }
  reviewer:
    command: ["${process.execPath}", "${agent}", "--turns", "100000", "--turn-ms", "100"]
    run: { killGrace: 500ms }
`,
  );
});
afterEach(() => {
  for (const supervisor of supervisors.splice(0)) killAll([supervisor.pid]);
  killAll([...agentPids(stateDir, 'builder'), ...agentPids(stateDir, 'reviewer')]);
  rmSync(dir, { recursive: true, force: true });
});
const start = () => {
  const supervisor = startSupervisor(dir);
  supervisors.push(supervisor);
  return supervisor;
};
const runOf = (loop: string) => runJournals(stateDir, loop).at(-1);
const eventOf = (loop: string, type: string, after?: JournalEvent) => {
  const events = runOf(loop)?.events ?? [];
  return events.slice(after ? events.indexOf(after) + 1 : 0).find((event) => event.type === type);
};
const byToken = (loop: string) =>
  findRunProcesses({ runId: runOf(loop)!.runId }).filter((found) => found.via === 'run-token');

describe('a supervisor SIGKILLed mid-run', () => {
  it('leaves its agents running; started again, it adopts both (same pids, no second agent), and the adopted run still ends on idle and resumes', async () => {
    const first = start();
    const builderSpawn = await until(
      () => eventOf('builder', 'spawned'),
      20_000,
      'builder spawned',
    );
    const reviewerSpawn = await until(
      () => eventOf('reviewer', 'spawned'),
      20_000,
      'reviewer spawned',
    );
    const builderPid = builderSpawn.pid as number;
    const reviewerPid = reviewerSpawn.pid as number;
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    expect(alive(builderPid) && alive(reviewerPid)).toBe(true);

    // With no supervisor, status reads the state files and names the orphaned runs.
    const offline = JSON.parse((await cli(dir, ['status', '--json'])).stdout);
    expect(offline.supervisor).toBeNull();
    expect(offline.loops.find((loop: { name: string }) => loop.name === 'builder')).toMatchObject({
      state: 'running',
      pid: builderPid,
      orphanPids: [builderPid],
    });

    const second = start();
    const adopted = await until(() => eventOf('builder', 'adopted'), 20_000, 'builder adopted');
    expect(adopted).toMatchObject({ pid: builderPid, attempt: 1 });
    expect(
      await until(() => eventOf('reviewer', 'adopted'), 20_000, 'reviewer adopted'),
    ).toMatchObject({
      pid: reviewerPid,
    });
    expect(runJournals(stateDir, 'builder')).toHaveLength(1);
    expect(byToken('builder').map((found) => found.pid)).toEqual([builderPid]);
    expect(byToken('reviewer').map((found) => found.pid)).toEqual([reviewerPid]);

    // Life 1 hangs after 30 turns (3 s): the adopted run sees its output until then, then its silence.
    const idle = await until(
      () => eventOf('builder', 'output-idle', adopted),
      20_000,
      'output-idle',
    );
    expect(Date.parse(idle.ts) - Date.parse(builderSpawn.ts)).toBeGreaterThanOrEqual(4000);
    const resumed = await until(() => eventOf('builder', 'resumed', adopted), 20_000, 'resumed');
    expect(resumed).toMatchObject({ attempt: 2 });
    expect(resumed.pid).not.toBe(builderPid);
    expect(alive(builderPid)).toBe(false);
    const logPath = join(
      stateDir,
      'loops',
      'builder',
      'runs',
      runOf('builder')!.runId,
      'stdout.log',
    );
    const log = await until(
      () => {
        const text = readFileSync(logPath, 'utf8');
        return text.includes('fake-agent: life 2') && text;
      },
      10_000,
      'life 2 in the log',
    );
    expect(log).toContain('fake-agent: turn 30 done');
    const status = JSON.parse((await cli(dir, ['status', '--json'])).stdout);
    expect(status.supervisor).toMatchObject({ pid: second.pid });
    expect(status.loops.find((loop: { name: string }) => loop.name === 'builder')).toMatchObject({
      state: 'running',
      attempt: 2,
      resumesUsed: 1,
    });

    process.kill(second.pid, 'SIGTERM');
    expect(await second.exited).toBe(130);
    expect(
      [...agentPids(stateDir, 'builder'), ...agentPids(stateDir, 'reviewer')].filter(alive),
    ).toEqual([]);
  });

  it('with no supervisor running, stop ends the orphaned runs from the state files and frees their locks', async () => {
    const first = start();
    const pids = [
      (await until(() => eventOf('builder', 'spawned'), 20_000, 'builder spawned')).pid as number,
      (await until(() => eventOf('reviewer', 'spawned'), 20_000, 'reviewer spawned')).pid as number,
    ];
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    const stopped = await cli(dir, ['stop', '--json']);
    expect(stopped.code).toBe(0);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ ok: true, supervisor: null });
    expect(pids.filter(alive)).toEqual([]);
    for (const loop of ['builder', 'reviewer'])
      expect(inspect(join(stateDir, 'loops', loop, 'RUN.lock')).state).toBe('free');
    const status = JSON.parse((await cli(dir, ['status', '--json'])).stdout);
    expect(status.loops.map((loop: { state: string }) => loop.state)).toEqual([
      'stopped',
      'stopped',
    ]);
  });
});
