import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  captureIdentity,
  descendantsOf,
  getProcessInfoSync,
  listProcessesSync,
  readEnvironVariable,
} from '@runwarden/process-identity';
import { afterEach, describe, expect, it } from 'vitest';
import { KillTreeError, killTree } from '../src/index.js';

const started: ChildProcess[] = [];
const strays = new Set<number>();

function start(
  command: string,
  args: string[],
  options: Parameters<typeof spawn>[2] = {},
): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', ...options });
  started.push(child);
  return child;
}

async function until<T>(probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const alive = (pid: number) => {
  const info = getProcessInfoSync(pid, { cmdline: false });
  return info !== null && info.state !== 'Z';
};

afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL');
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  strays.clear();
});

describe('killTree', () => {
  it('ends a group leader and a grandchild that ignores SIGTERM, the grandchild by the forced round', async () => {
    const leader = start(
      'sh',
      ['-c', `sh -c 'trap "" TERM; while :; do sleep 1; done' & exec sleep 30`],
      { detached: true },
    );
    const grandchild = await until(
      () => descendantsOf(leader.pid!).find((row) => row.comm === 'sh')?.pid,
    );
    await until(() => descendantsOf(grandchild).length > 0);
    const result = await killTree(leader.pid!, { graceMs: 300 });
    expect(result.ok).toBe(true);
    expect(result.escalated).toBe(true);
    expect(result.killed).toEqual(expect.arrayContaining([leader.pid, grandchild]));
    expect(result.survivors).toEqual([]);
    expect(alive(grandchild)).toBe(false);
  });

  it('needs no forced round when the tree obeys SIGTERM', async () => {
    const leader = start('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { detached: true });
    await until(() => descendantsOf(leader.pid!).length === 2);
    const result = await killTree(leader.pid!, { graceMs: 5000 });
    expect(result).toMatchObject({ ok: true, escalated: false, survivors: [] });
    expect(result.killed.length).toBe(3);
  });

  it('finds a setsid escapee by the run token', async () => {
    const token = `kill-tree-test-${process.pid}-${Date.now()}`;
    const env = { ...process.env, RUNWARDEN_RUN_ID: token };
    const leader = start('sh', ['-c', 'setsid sleep 30 & exec sleep 30'], { detached: true, env });
    const escapee = await until(
      () =>
        listProcessesSync({ cmdline: false }).find(
          (row) =>
            row.comm === 'sleep' &&
            row.pid !== leader.pid &&
            readEnvironVariable(row.pid, 'RUNWARDEN_RUN_ID').status === 'found' &&
            row.sid !== leader.pid,
        )?.pid,
    );
    strays.add(escapee);
    const result = await killTree(captureIdentity(leader.pid!)!, { graceMs: 2000 });
    expect(result.ok).toBe(true);
    expect(result.killed).toEqual(expect.arrayContaining([leader.pid, escapee]));
    expect(alive(escapee)).toBe(false);
  });

  it('refuses a reused identity with ERR_IDENTITY_MISMATCH and signals nothing', async () => {
    const victim = start('sleep', ['30']);
    await until(() => readEnvironVariable(victim.pid!, 'PATH').status === 'found');
    const identity = captureIdentity(victim.pid!)!;
    const stale = { ...identity, startTicks: identity.startTicks - 100 };
    const error = await killTree(stale).catch((caught: unknown) => caught);
    expect(KillTreeError.isInstance(error)).toBe(true);
    expect((error as KillTreeError).code).toBe('ERR_IDENTITY_MISMATCH');
    expect((error as KillTreeError).message).toBe(
      `Refusing to signal pid ${victim.pid}: it is no longer the recorded process (start-time-differs).`,
    );
    expect(alive(victim.pid!)).toBe(true);
  });

  it('reports an already-finished root as nothing to do', async () => {
    const child = start('true', []);
    await once(child, 'exit');
    const result = await killTree(child.pid!, { graceMs: 100 });
    expect(result).toMatchObject({ ok: true, rootPid: null, killed: [], survivors: [] });
  });

  it('ends a fork loop completely', async () => {
    const leader = start('sh', ['-c', 'while :; do sleep 5 & done'], { detached: true });
    await until(() => descendantsOf(leader.pid!).length > 20);
    const result = await killTree(leader.pid!, { graceMs: 1000 });
    expect(result.ok).toBe(true);
    const left = listProcessesSync({ cmdline: false }).filter(
      (row) => row.pgid === leader.pid && row.state !== 'Z',
    );
    expect(left).toEqual([]);
  });

  it('rejects a pid that is not a positive integer', async () => {
    await expect(killTree(-1)).rejects.toMatchObject({ code: 'ERR_INVALID_TARGET' });
  });
});
