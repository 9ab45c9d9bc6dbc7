import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getProcessInfoSync, listProcessesSync, RUN_ID_ENV } from '@runwarden/process-identity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findRunProcesses, recordedProcesses } from '../src/index.js';
import { alive } from './helpers.js';

let dir: string;
let journalPath: string;
const started: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'run-processes-'));
  journalPath = join(dir, 'journal.jsonl');
});
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const runId = `run-${process.pid}-${Date.now()}`;

function startTicksOf(pid: number): number {
  return getProcessInfoSync(pid, { cmdline: false })!.startTicks;
}

/** Starts `script` under /bin/sh as the watchdog starts an attempt: its own session, the run id in its env. */
async function startAttempt(script: string, token = runId): Promise<ChildProcess> {
  const child = spawn('/bin/sh', ['-c', script], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, [RUN_ID_ENV]: token },
  });
  started.push(child.pid!);
  // Each script prints one line once its processes are in place.
  await once(child.stdout!, 'data');
  return child;
}

function record(type: string, pid: number, startTicks: number): void {
  writeFileSync(
    journalPath,
    `${JSON.stringify({ ts: new Date().toISOString(), runId, attempt: 1, type, reason: null, pid, startTicks, command: 'sh', args: [] })}\n`,
    { flag: 'a' },
  );
}

const pidsOf = (found: { pid: number }[]) => found.map((entry) => entry.pid);

describe('findRunProcesses', () => {
  it('finds an attempt whose processes dropped RUNWARDEN_RUN_ID, through the journal, where the variable alone finds nothing', async () => {
    // One child clears its whole environment, the leader execs without the variable.
    const leader = await startAttempt(
      'env -i /bin/sleep 30 & echo ready; exec env -u RUNWARDEN_RUN_ID /bin/sleep 30',
    );
    // The leader is `sleep` once exec'd; its sibling is the only other member of its session.
    const cleared = await waitForMember(leader.pid!);
    await until(() => commOf(leader.pid!) === 'sleep' && commOf(cleared) === 'sleep');
    record('spawned', leader.pid!, startTicksOf(leader.pid!));

    expect(findRunProcesses({ runId })).toEqual([]);
    const found = findRunProcesses({ runId, journalPath });
    expect(pidsOf(found)).toEqual([leader.pid!, cleared].sort((a, b) => a - b));
    expect(found.find((entry) => entry.pid === leader.pid)?.via).toBe('attempt');
    expect(found.find((entry) => entry.pid === cleared)?.startTicks).toBe(startTicksOf(cleared));
  });

  it("still finds the attempt's session after its leader died", async () => {
    const leader = await startAttempt('env -i /bin/sleep 30 & echo ready; exec /bin/sleep 30');
    const member = await waitForMember(leader.pid!);
    record('spawned', leader.pid!, startTicksOf(leader.pid!));
    const exited = once(leader, 'exit');
    process.kill(leader.pid!, 'SIGKILL');
    await exited;
    expect(alive(member)).toBe(true);
    expect(findRunProcesses({ runId, journalPath })).toEqual([
      {
        pid: member,
        startTicks: startTicksOf(member),
        via: expect.stringMatching(/session|group/),
      },
    ]);
  });

  it('never reports a process that took a recorded pid (other start ticks), nor its group', async () => {
    const stranger = await startAttempt('echo ready; exec /bin/sleep 30', 'someone-else');
    record('spawned', stranger.pid!, startTicksOf(stranger.pid!) + 1);
    expect(findRunProcesses({ runId, journalPath })).toEqual([]);
  });

  it("finds the run's services by their `<runId>~<name>` token, and the run's own carriers", async () => {
    const service = await startAttempt('echo ready; exec /bin/sleep 30', `${runId}~db`);
    const attempt = await startAttempt('echo ready; exec /bin/sleep 30');
    expect(findRunProcesses({ runId })).toEqual([
      {
        pid: Math.min(service.pid!, attempt.pid!),
        startTicks: expect.any(Number),
        via: 'run-token',
      },
      {
        pid: Math.max(service.pid!, attempt.pid!),
        startTicks: expect.any(Number),
        via: 'run-token',
      },
    ]);
    expect(findRunProcesses({ runId: `${runId}-other` })).toEqual([]);
  });

  it('leaves out zombies and the caller', async () => {
    // The forked child exits at once and stays a zombie: its parent sleeps and never reaps it.
    const attempt = await startAttempt(
      `exec python3 -c 'import os, time
if os.fork() == 0: os._exit(0)
print("ready", flush=True); time.sleep(30)'`,
    );
    const zombie = await waitForMember(attempt.pid!, 'Z');
    expect(findRunProcesses({ runId })).toEqual([
      { pid: attempt.pid!, startTicks: startTicksOf(attempt.pid!), via: 'run-token' },
    ]);
    record('spawned', attempt.pid!, startTicksOf(attempt.pid!));
    expect(pidsOf(findRunProcesses({ runId, journalPath }))).not.toContain(zombie);
    expect(findRunProcesses({ runId, journalPath, selfPid: attempt.pid! })).toEqual([]);
  });
});

describe('recordedProcesses', () => {
  it('reads attempts, adoptions and services with start ticks, skipping what is not an event', () => {
    writeFileSync(
      journalPath,
      [
        JSON.stringify({ type: 'started', pid: 10 }),
        JSON.stringify({ type: 'spawned', pid: 11, startTicks: 100 }),
        '{"type":"resumed","pid":12,', // cut short by a crash
        JSON.stringify({ type: 'resumed', pid: 13 }), // no start ticks: cannot be checked
        JSON.stringify({ type: 'adopted', pid: 14, startTicks: 140 }),
        JSON.stringify({ type: 'service-started', pid: 15, startTicks: 150 }),
        'garbage',
      ].join('\n'),
    );
    expect(recordedProcesses(journalPath)).toEqual([
      { pid: 11, startTicks: 100, leadsSession: true },
      { pid: 14, startTicks: 140, leadsSession: false },
      { pid: 15, startTicks: 150, leadsSession: true },
    ]);
  });

  it('gives nothing for a missing journal, a directory, or a FIFO, without blocking', () => {
    expect(recordedProcesses(join(dir, 'missing.jsonl'))).toEqual([]);
    expect(recordedProcesses(dir)).toEqual([]);
    const fifo = join(dir, 'fifo');
    spawnSyncOrThrow('mkfifo', [fifo]);
    expect(recordedProcesses(fifo)).toEqual([]);
  });
});

async function until<T>(probe: () => T, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The one other member of `leader`'s session in `state` (`'live'`: any state but zombie). */
function waitForMember(leader: number, state: 'live' | 'Z' = 'live'): Promise<number> {
  return until(() => {
    const member = listProcessesSync({ cmdline: false }).find(
      (row) =>
        row.sid === leader &&
        row.pid !== leader &&
        (state === 'Z' ? row.state === 'Z' : row.state !== 'Z'),
    );
    return member?.pid ?? 0;
  });
}

function commOf(pid: number): string | undefined {
  return getProcessInfoSync(pid, { cmdline: false })?.comm;
}

function spawnSyncOrThrow(command: string, args: string[]): void {
  const result = spawnSync(command, args);
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}`);
}
