import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeAgentArgs } from '@runwarden/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJournal, superviseRun } from '../src/index.js';
import { agent, alive } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'watchdog-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const fast = { initialMs: 10, maxMs: 20, jitter: 0 };
const types = (runDir: string) =>
  readJournal(join(runDir, 'journal.jsonl')).map((event) => event.type);

describe('superviseRun', () => {
  it('completes a command that exits 0 when no completion predicate is set', async () => {
    const runDir = join(dir, 'run');
    const result = await superviseRun({
      command: process.execPath,
      args: ['-e', 'console.log("hello")'],
      runDir,
    });
    expect(result).toMatchObject({ ok: true, reason: 'OK', exitCode: 0, attempts: 1, resumes: 0 });
    expect(readFileSync(join(runDir, 'stdout.log'), 'utf8')).toBe('hello\n');
    expect(types(runDir)).toEqual(['started', 'spawned', 'exited', 'completed', 'ended']);
  });

  it('gives the child RUNWARDEN_RUN_ID, its own process group, and /dev/null as stdin', async () => {
    const runDir = join(dir, 'run');
    const script =
      'const fs=require("fs");console.log(process.env.RUNWARDEN_RUN_ID, process.pid===Number(fs.readFileSync("/proc/self/stat","utf8").split(") ")[1].split(" ")[2]), fs.readlinkSync("/proc/self/fd/0"))';
    const result = await superviseRun({
      command: process.execPath,
      args: ['-e', script],
      runDir,
      runId: 'run-env-test',
    });
    expect(result.reason).toBe('OK');
    expect(readFileSync(join(runDir, 'stdout.log'), 'utf8')).toBe('run-env-test true /dev/null\n');
  });

  it('detects a silent hang, ends the attempt, resumes, and completes on the DONE file', async () => {
    const runDir = join(dir, 'run');
    const done = join(dir, 'DONE');
    const result = await superviseRun({
      command: process.execPath,
      args: [
        agent,
        ...fakeAgentArgs({
          state: join(dir, 'progress.json'),
          turns: 10,
          turnMs: 20,
          hangAfter: 2,
          hangOnLife: 1,
          doneFile: done,
          doneAfter: 4,
        }),
      ],
      runDir,
      doneFile: done,
      idleTimeoutMs: 1000,
      startupIdleMs: 10_000,
      maxResumes: 3,
      backoff: fast,
    });
    expect(result).toMatchObject({ ok: true, reason: 'OK', attempts: 2, resumes: 1 });
    expect(types(runDir)).toEqual([
      'started',
      'spawned',
      'output-idle',
      'kill',
      'died',
      'resume-scheduled',
      'resumed',
      'exited',
      'completed',
      'ended',
    ]);
  });

  it('ends the whole tree at the mission timeout: exit 2, no process left', async () => {
    const runDir = join(dir, 'run');
    const pidFile = join(dir, 'pids');
    const result = await superviseRun({
      command: process.execPath,
      args: [
        agent,
        ...fakeAgentArgs({
          grandchild: true,
          ignoreSigterm: true,
          turns: 100_000,
          turnMs: 50,
          pidFile,
        }),
      ],
      runDir,
      // Long enough for the agent and its grandchild to start on a busy machine.
      missionTimeoutMs: 3000,
      killGraceMs: 300,
    });
    expect(result).toMatchObject({
      ok: false,
      reason: 'MISSION_TIMEOUT',
      exitCode: 2,
      timedOut: true,
      isTerminated: true,
      isForcefullyTerminated: true,
    });
    const pids = readFileSync(pidFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => Number(line.split(' ')[1]));
    expect(pids.length).toBe(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('calls exit 0 without the DONE file a false success, and spends the budget', async () => {
    const runDir = join(dir, 'run');
    const result = await superviseRun({
      command: process.execPath,
      args: [agent, ...fakeAgentArgs({ turns: 1, turnMs: 1 })],
      runDir,
      doneFile: join(dir, 'never'),
      maxResumes: 2,
      backoff: fast,
    });
    expect(result).toMatchObject({
      reason: 'RESUME_BUDGET_EXHAUSTED',
      exitCode: 4,
      attempts: 3,
      resumes: 2,
    });
    const events = readJournal(join(runDir, 'journal.jsonl'));
    expect(events.filter((event) => event.type === 'died').map((event) => event.reason)).toEqual([
      'FALSE_SUCCESS',
      'FALSE_SUCCESS',
      'FALSE_SUCCESS',
    ]);
    const handoff = events.find((event) => event.type === 'handoff') as Record<string, unknown>;
    expect(handoff.resumeCommand).toContain('fake-agent.js');
    expect((handoff.lastLines as string[]).at(-1)).toBe(
      'fake-agent: turn ended; exiting like `opencode run` does',
    );
  });

  it('with no resumes allowed, reports the cause itself', async () => {
    const runDir = join(dir, 'run');
    const result = await superviseRun({
      command: process.execPath,
      args: [agent, ...fakeAgentArgs({ turns: 5, crashAfter: 1, crashCode: 3, turnMs: 1 })],
      runDir,
      maxResumes: 0,
    });
    expect(result).toMatchObject({
      reason: 'CHILD_FAILED',
      exitCode: 1,
      lastExit: { code: 3, signal: null },
    });
  });

  it('reports a command that cannot start as CHILD_FAILED without retrying', async () => {
    const result = await superviseRun({
      command: join(dir, 'no-such-program'),
      runDir: join(dir, 'run'),
      maxResumes: 5,
    });
    expect(result).toMatchObject({ reason: 'CHILD_FAILED', attempts: 1, resumes: 0 });
    expect(result.message).toContain('ENOENT');
  });

  it('does not hang on a child that reads stdin: stdin is /dev/null', async () => {
    const runDir = join(dir, 'run');
    const result = await superviseRun({
      command: process.execPath,
      args: [agent, ...fakeAgentArgs({ readStdin: true, turns: 1, turnMs: 1 })],
      runDir,
      idleTimeoutMs: 5000,
    });
    expect(result.reason).toBe('OK');
    expect(readFileSync(join(runDir, 'stdout.log'), 'utf8')).toContain('fake-agent: stdin closed');
  });

  it('ends the tree and reports INTERRUPTED when aborted', async () => {
    const runDir = join(dir, 'run');
    const controller = new AbortController();
    const running = superviseRun({
      command: process.execPath,
      args: [agent, ...fakeAgentArgs({ turns: 100_000, turnMs: 20 })],
      runDir,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'spawned') setTimeout(() => controller.abort(), 50);
      },
    });
    const result = await running;
    expect(result).toMatchObject({ reason: 'INTERRUPTED', exitCode: 130, isTerminated: true });
    expect(types(runDir)).toEqual(['started', 'spawned', 'interrupted', 'kill', 'ended']);
  });

  it('ends a process that leaves its DONE file but never exits', async () => {
    const runDir = join(dir, 'run');
    const done = join(dir, 'DONE');
    const result = await superviseRun({
      command: 'sh',
      args: ['-c', `echo working; touch ${done}; exec sleep 30`],
      runDir,
      doneFile: done,
      completionGraceMs: 100,
    });
    expect(result).toMatchObject({ reason: 'OK', isTerminated: true });
    expect(existsSync(done)).toBe(true);
  });

  it('times its windows on the injected monotonic clock: a clock two hours ahead ends a one-hour mission at once', async () => {
    const runDir = join(dir, 'run');
    let aheadMs = 0;
    const result = await superviseRun({
      command: process.execPath,
      args: [agent, ...fakeAgentArgs({ turns: 100_000, turnMs: 20 })],
      runDir,
      missionTimeoutMs: 3_600_000,
      killGraceMs: 1000,
      monotonicNow: () => performance.now() + aheadMs,
      onEvent: (event) => {
        if (event.type === 'spawned') aheadMs = 7_200_000;
      },
    });
    expect(result).toMatchObject({ reason: 'MISSION_TIMEOUT', exitCode: 2, timedOut: true });
    expect(result.durationMs).toBeGreaterThanOrEqual(7_200_000);
    expect(types(runDir)).toEqual(['started', 'spawned', 'timeout', 'kill', 'ended']);
  });
});
