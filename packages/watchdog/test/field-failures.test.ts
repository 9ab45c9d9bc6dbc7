/**
 * One fixture per failure seen in the field (issue 5), each with a real
 * fake-agent process, asserting the exact `{exitCode, reason}` and the
 * journal sequence. Windows are short and real; the long ones are covered by
 * the pure decision tests in `src/`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeAgentOptions } from '@runwarden/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SuperviseOptions } from '../src/index.js';
import { agent, alive, runAgent, typesOf } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'field-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const run = (agentFlags: FakeAgentOptions | string[], options: Partial<SuperviseOptions> = {}) =>
  runAgent(dir, agentFlags, options);

describe('field failures', () => {
  it('silent hang: output stops, the process stays → IDLE_TIMEOUT, exit 3', async () => {
    const { result, events } = await run(
      { turns: 100, turnMs: 20, hangAfter: 2 },
      {
        idleTimeoutMs: 600,
        maxResumes: 0,
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 3,
      reason: 'IDLE_TIMEOUT',
    });
    expect(typesOf(events)).toEqual(['started', 'spawned', 'output-idle', 'kill', 'died', 'ended']);
    expect(events.find((event) => event.type === 'died')?.reason).toBe('IDLE_TIMEOUT');
  });

  it('silence from the start → STARTUP_TIMEOUT, exit 3', async () => {
    const { result, events } = await run(
      { silentStartMs: 60_000 },
      {
        startupIdleMs: 500,
        idleTimeoutMs: 60_000,
        maxResumes: 0,
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 3,
      reason: 'STARTUP_TIMEOUT',
    });
    expect(typesOf(events)).toEqual([
      'started',
      'spawned',
      'startup-idle',
      'kill',
      'died',
      'ended',
    ]);
  });

  it('one legitimate long pause, shorter than the idle window → OK, no idle event', async () => {
    const { result, events } = await run(
      { turns: 3, turnMs: 20, pauseAfter: 1, pauseMs: 800 },
      { idleTimeoutMs: 3000, startupIdleMs: 20_000 },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 0,
      reason: 'OK',
    });
    expect(typesOf(events)).toEqual(['started', 'spawned', 'exited', 'completed', 'ended']);
  });

  it('stdin wait: stdin is /dev/null, so the agent reads EOF and finishes → OK', async () => {
    const { result, events } = await run(
      { readStdin: true, turns: 1, turnMs: 1 },
      {
        idleTimeoutMs: 5000,
        startupIdleMs: 20_000,
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 0,
      reason: 'OK',
    });
    expect(typesOf(events)).toEqual(['started', 'spawned', 'exited', 'completed', 'ended']);
    expect(readFileSync(join(dir, 'run', 'stdout.log'), 'utf8')).toContain(
      'fake-agent: stdin closed',
    );
  });

  it('prints its result then never exits → the marker completes it, the lingering tree is ended', async () => {
    const { result, events } = await run(
      { echoPrompt: true, resultThenHang: true },
      {
        doneMarker: '## DONE',
        completionGraceMs: 300,
        idleTimeoutMs: 30_000,
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 0,
      reason: 'OK',
    });
    expect(result).toMatchObject({ completedBy: 'marker', isTerminated: true });
    expect(typesOf(events)).toEqual(['started', 'spawned', 'kill', 'completed', 'ended']);
    expect(events.find((event) => event.type === 'kill')).toMatchObject({ why: 'completed-alive' });
  });

  it('exit 0 without the DONE file → FALSE_SUCCESS, exit 1', async () => {
    const { result, events } = await run(
      { turns: 1, turnMs: 1 },
      {
        doneFile: 'DONE',
        maxResumes: 0,
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 1,
      reason: 'FALSE_SUCCESS',
    });
    expect(typesOf(events)).toEqual(['started', 'spawned', 'exited', 'died', 'ended']);
  });

  it('a grandchild that survives its parent is ended with it → OK, nothing left', async () => {
    const pidFile = join(dir, 'pids');
    const { result, events } = await run(
      { grandchild: true, setsidGrandchild: true, turns: 1, turnMs: 1, pidFile },
      { idleTimeoutMs: 10_000 },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 0,
      reason: 'OK',
    });
    expect(typesOf(events)).toEqual(['started', 'spawned', 'exited', 'kill', 'completed', 'ended']);
    const grandchild = Number(
      readFileSync(pidFile, 'utf8')
        .split('\n')
        .find((line) => line.startsWith('grandchild'))!
        .split(' ')[1],
    );
    expect(events.find((event) => event.type === 'kill')).toMatchObject({
      why: 'leftover-after-exit',
      killed: [grandchild],
    });
    expect(alive(grandchild)).toBe(false);
  });

  it('crash N times then stable: the budget is not spent while the heartbeat moves', async () => {
    const heartbeat = join(dir, 'heartbeat.json');
    const checkpoints = join(dir, 'checkpoints');
    const { result, events } = await run(
      {
        state: join(dir, 'state.json'),
        heartbeat,
        checkpointLog: checkpoints,
        turns: 3,
        turnMs: 20,
        crashAfter: 1,
        crashLives: 3,
        doneFile: 'DONE',
        doneAfter: 5,
      },
      { heartbeatFile: heartbeat, doneFile: 'DONE', maxResumes: 1, idleTimeoutMs: 10_000 },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 0,
      reason: 'OK',
    });
    expect(result).toMatchObject({ attempts: 4, resumes: 3, budgetSpent: 0 });
    const crash = ['progress', 'exited', 'died', 'resume-scheduled', 'resumed'];
    expect(typesOf(events)).toEqual([
      'started',
      'spawned',
      ...crash,
      ...crash,
      ...crash,
      'progress',
      'exited',
      'completed',
      'ended',
    ]);
    for (const scheduled of events.filter((event) => event.type === 'resume-scheduled'))
      expect(scheduled).toMatchObject({ countsAgainstBudget: false, budgetSpent: 0 });
    // Each resume got the checkpoint the previous life left.
    const received = readFileSync(checkpoints, 'utf8').trim().split('\n');
    expect(received[0]).toBe('-');
    expect(JSON.parse(received[1]!)).toMatchObject({
      sessionId: 'fake-session-1',
      lastTask: 'turn 1',
    });
    expect(JSON.parse(received[3]!)).toMatchObject({ lastTask: 'turn 3' });
  });

  it('crash with no progress: the budget is spent, then a hand-off with the last lines', async () => {
    const { result, events } = await run(
      { crashAtStart: true, crashCode: 2 },
      {
        heartbeatFile: join(dir, 'heartbeat.json'),
        maxResumes: 2,
        resumeOn: ['failure'],
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 4,
      reason: 'RESUME_BUDGET_EXHAUSTED',
    });
    const death = ['exited', 'died'];
    expect(typesOf(events)).toEqual([
      'started',
      'spawned',
      ...death,
      'resume-scheduled',
      'resumed',
      ...death,
      'resume-scheduled',
      'resumed',
      ...death,
      'handoff',
      'ended',
    ]);
    const handoff = events.find((event) => event.type === 'handoff')!;
    expect(handoff.reason).toBe('RESUME_BUDGET_EXHAUSTED');
    // stdout and stderr are two pipes: their last lines may arrive in either order.
    expect((handoff.lastLines as string[]).slice(-2).sort()).toEqual([
      'fake-agent: crashing at start with code 2',
      'fake-agent: life 1, 0 turn(s) done before',
    ]);
    expect(handoff.resumeCommand).toBe(
      `${process.execPath} ${agent} --crash-at-start --crash-code 2`,
    );
    expect(result.message).toBe(
      `Died 3 time(s); the budget of 2 resume(s) without progress is spent. Resume by hand: ${handoff.resumeCommand}`,
    );
  });

  it('quota message then success: a pause that spends neither the budget nor a resume slot', async () => {
    const { result, events } = await run(
      {
        state: join(dir, 'state.json'),
        quotaMessage: "You've hit your usage limit. Please wait.",
        quotaLives: 1,
        turns: 1,
        turnMs: 1,
        doneFile: 'DONE',
        doneAfter: 1,
      },
      { doneFile: 'DONE', maxResumes: 1, quota: { fallbackPauseMs: 300 }, idleTimeoutMs: 10_000 },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 0,
      reason: 'OK',
    });
    expect(result).toMatchObject({ attempts: 2, budgetSpent: 0, quotaPauses: 1 });
    expect(typesOf(events)).toEqual([
      'started',
      'spawned',
      'exited',
      'died',
      'quota-pause',
      'resumed',
      'exited',
      'completed',
      'ended',
    ]);
    expect(events.find((event) => event.type === 'quota-pause')).toMatchObject({
      delayMs: 300,
      resetParsed: false,
      line: "You've hit your usage limit. Please wait.",
      reason: 'FALSE_SUCCESS',
    });
  });

  it('quota message with a reset time: pauses until then, even when the agent exits 0 with no predicate', async () => {
    const resetAt = Math.ceil((Date.now() + 1500) / 1000);
    const { result, events } = await run(
      {
        state: join(dir, 'state.json'),
        quotaMessage: `Claude AI usage limit reached|${resetAt}`,
        quotaLives: 1,
        turns: 1,
        turnMs: 1,
      },
      { maxResumes: 0 + 1, quota: { marginMs: 0 }, idleTimeoutMs: 10_000 },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 0,
      reason: 'OK',
    });
    const pause = events.find((event) => event.type === 'quota-pause')!;
    expect(pause).toMatchObject({
      resetParsed: true,
      until: new Date(resetAt * 1000).toISOString(),
    });
    expect(pause.delayMs as number).toBeLessThanOrEqual(2500);
    const resumed = events.find((event) => event.type === 'resumed')!;
    expect(Date.parse(resumed.ts)).toBeGreaterThanOrEqual(resetAt * 1000);
  });

  it('a DONE file written by the last life completes the run even though the agent goes on', async () => {
    const done = join(dir, 'DONE');
    const { result } = await run(
      { turns: 1, turnMs: 1 },
      {
        command: 'sh',
        args: ['-c', `echo working; touch ${done}; exec sleep 30`],
        doneFile: done,
        completionGraceMs: 100,
      },
    );
    expect(result).toMatchObject({ reason: 'OK', completedBy: 'done-file', isTerminated: true });
    expect(existsSync(done)).toBe(true);
  });
});
