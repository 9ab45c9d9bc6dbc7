import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from '@runwarden/lock-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agent,
  agentPids,
  alive,
  cli,
  killAll,
  pidFile,
  type RunningSupervisor,
  runJournals,
  startSupervisor,
  supervisorEvents,
  until,
  writeConfig,
} from './helpers.js';

let dir: string;
let stateDir: string;
const leftovers: number[] = [];
const supervisors: RunningSupervisor[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
  stateDir = join(dir, '.runtime');
});
afterEach(() => {
  for (const supervisor of supervisors.splice(0)) killAll([supervisor.pid]);
  killAll([...leftovers.splice(0), ...agentPidsSafe()]);
  rmSync(dir, { recursive: true, force: true });
});
const agentPidsSafe = () => {
  try {
    return [
      ...agentPids(stateDir, 'builder'),
      ...agentPids(stateDir, 'reviewer'),
      ...agentPids(stateDir, 'crasher'),
    ];
  } catch {
    return [];
  }
};
const start = () => {
  const supervisor = startSupervisor(dir);
  supervisors.push(supervisor);
  return supervisor;
};
const loopState = (loop: string): string | undefined => {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'loops', loop, 'loop.json'), 'utf8')).state;
  } catch {
    return undefined;
  }
};
const lockFree = (loop: string) =>
  inspect(join(stateDir, 'loops', loop, 'RUN.lock')).state === 'free';
const reviewer = (extra = '') => `
  reviewer:
    command: ["${process.execPath}", "${agent}", "--turns", "100000", "--turn-ms", "100", "--grandchild", "--pid-file", "reviewer.pids"${extra}]
    run: { killGrace: 1s, idleTimeout: 30s }`;

describe('runwarden-supervisor start', () => {
  it('resumes a loop that dies until it writes DONE, keeps the other running, then stops both and exits 0 with no survivor', async () => {
    writeConfig(
      dir,
      `done: { file: plan.md, line: "## DONE", every: 100ms }
loops:
  builder:
    command: "'${process.execPath}' '${agent}' --state state.json --turns 10 --turn-ms 50 --crash-after 2 --crash-lives 2 --done-file work-done --done-after 8 --pid-file builder.pids && echo '## DONE' >> plan.md"
    run: { doneFile: work-done, killGrace: 1s, maxResumes: 5, backoff: { initial: 50ms, max: 100ms } }
${reviewer()}
`,
    );
    const supervisor = start();
    expect(await supervisor.exited).toBe(0);
    expect(supervisor.output()).toMatch(/OK \(exit 0\) after .*: done: .*plan\.md holds "## DONE"/);
    const [run] = runJournals(stateDir, 'builder');
    const types = run!.events.map((event) => event.type);
    expect(types.filter((type) => type === 'died')).toHaveLength(2);
    expect(types.filter((type) => type === 'resumed')).toHaveLength(2);
    expect(run!.events.at(-1)).toMatchObject({ type: 'ended', reason: 'OK' });
    const events = supervisorEvents(stateDir);
    expect(events.find((event) => event.type === 'done')).toBeDefined();
    expect(
      events.filter((event) => event.type === 'run-started' && event.loop === 'reviewer'),
    ).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'supervisor-stopped', reason: 'OK', exitCode: 0 });
    const everyPid = [
      ...pidFile(join(dir, 'builder.pids')),
      ...pidFile(join(dir, 'reviewer.pids')),
    ];
    expect(everyPid.length).toBeGreaterThanOrEqual(5);
    expect(everyPid.filter(alive)).toEqual([]);
    expect(loopState('reviewer')).toBe('done');
    expect(lockFree('builder') && lockFree('reviewer')).toBe(true);
    expect(inspect(join(stateDir, 'SUPERVISOR.lock')).state).toBe('free');
    const evidence = events.find((event) => event.type === 'evidence')!;
    expect(readFileSync(String(evidence.sumsPath), 'utf8')).toContain('builder/runs/');
  });

  it('gives up on a loop that exits 1 at once after 5 restarts (fatal, a handoff event) while the other runs on; SIGTERM then ends all with 0 survivors', async () => {
    writeConfig(
      dir,
      `loops:
  crasher:
    command: "echo starting; exit 1"
    run: { maxResumes: 1, resumeOn: always, backoff: { initial: 10ms, max: 10ms }, killGrace: 1s }
    restart: { backoff: { initial: 10ms, max: 40ms }, giveUp: { restarts: 5, within: 30m } }
${reviewer()}
`,
    );
    const supervisor = start();
    await until(() => loopState('crasher') === 'fatal' || undefined, 30_000, 'crasher fatal');
    const events = supervisorEvents(stateDir).filter((event) => event.loop === 'crasher');
    expect(events.filter((event) => event.type === 'run-started')).toHaveLength(6);
    expect(events.filter((event) => event.type === 'restart-scheduled')).toHaveLength(5);
    expect(events.find((event) => event.type === 'handoff')).toMatchObject({
      why: 'give-up',
      lastReason: 'RESUME_BUDGET_EXHAUSTED',
      restarts: 5,
    });
    expect(loopState('reviewer')).toBe('running');
    const status = JSON.parse((await cli(dir, ['status', '--json'])).stdout);
    expect(status.loops.find((loop: { name: string }) => loop.name === 'crasher')).toMatchObject({
      state: 'fatal',
      restarts: 5,
      lastReason: 'RESUME_BUDGET_EXHAUSTED',
    });

    // A second supervisor on the same state dir: exit 5, naming the first.
    const second = await cli(dir, ['start']);
    expect(second.code).toBe(5);
    expect(second.stderr).toContain(`LOCK_HELD: Another supervisor (pid ${supervisor.pid}`);

    const reviewerPids = () => [
      ...pidFile(join(dir, 'reviewer.pids')),
      ...agentPids(stateDir, 'reviewer'),
    ];
    await until(() => reviewerPids().length >= 2 || undefined, 10_000, 'reviewer and grandchild');
    process.kill(supervisor.pid, 'SIGTERM');
    expect(await supervisor.exited).toBe(130);
    expect(reviewerPids().filter(alive)).toEqual([]);
    expect(lockFree('crasher') && lockFree('reviewer')).toBe(true);
    expect(inspect(join(stateDir, 'SUPERVISOR.lock')).state).toBe('free');
    expect(loopState('reviewer')).toBe('stopped');
  });

  it('never resumes a run its watchdog owns: over 50 deaths the journals show one writer at a time', async () => {
    writeConfig(
      dir,
      `loops:
  crasher:
    command: "echo starting; exit 1"
    run: { maxResumes: 4, resumeOn: always, backoff: { initial: 5ms, max: 5ms, jitter: 0 }, killGrace: 1s }
    restart: { backoff: { initial: 5ms, max: 5ms, jitter: 0 }, giveUp: { restarts: 9, within: 30m } }
`,
    );
    const supervisor = start();
    await until(() => loopState('crasher') === 'fatal' || undefined, 60_000, 'crasher fatal');
    process.kill(supervisor.pid, 'SIGTERM');
    expect(await supervisor.exited).toBe(130);
    // In the order the supervisor started them (run ids sort by the second only).
    const order = supervisorEvents(stateDir)
      .filter((event) => event.type === 'run-started')
      .map((event) => event.runId);
    const runs = runJournals(stateDir, 'crasher').sort(
      (a, b) => order.indexOf(a.runId) - order.indexOf(b.runId),
    );
    expect(runs).toHaveLength(10);
    const deaths = runs.flatMap(({ events }) => events.filter((event) => event.type === 'died'));
    expect(deaths).toHaveLength(50);
    // Within a run, the watchdog alone spawns: attempts alternate start → death, one at a time.
    for (const { events } of runs) {
      let live = 0;
      for (const event of events) {
        if (event.type === 'spawned' || event.type === 'resumed') live += 1;
        if (event.type === 'died') live -= 1;
        expect(live).toBeGreaterThanOrEqual(0);
        expect(live).toBeLessThanOrEqual(1);
      }
      expect(events.at(-1)).toMatchObject({ type: 'ended', reason: 'RESUME_BUDGET_EXHAUSTED' });
    }
    // Across runs, the supervisor starts the next run only after the last one's watchdog ended.
    const sequence = supervisorEvents(stateDir).filter(
      (event) =>
        event.loop === 'crasher' && (event.type === 'run-started' || event.type === 'run-ended'),
    );
    expect(sequence.map((event) => event.type)).toEqual(
      Array.from({ length: 10 }, () => ['run-started', 'run-ended']).flat(),
    );
    for (let index = 1; index < runs.length; index++) {
      const previousEnd = Date.parse(runs[index - 1]!.events.at(-1)!.ts);
      const nextStart = Date.parse(runs[index]!.events[0]!.ts);
      expect(nextStart).toBeGreaterThanOrEqual(previousEnd);
    }
  });
});
