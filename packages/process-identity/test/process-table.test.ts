import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  captureIdentity,
  descendantsOf,
  getHostFacts,
  getProcessInfo,
  listProcesses,
  readEnvironVariable,
  verifyIdentity,
} from '../src/index.js';

const children: ChildProcess[] = [];
function start(
  command: string,
  args: string[],
  options: Parameters<typeof spawn>[2] = {},
): ChildProcess {
  const child = spawn(command, args, { stdio: 'ignore', ...options });
  children.push(child);
  return child;
}

/** Polls until `check` holds: waiting on the kernel's state, not on time. */
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

describe('host facts', () => {
  it('reads a boot id and a machine id on Linux', () => {
    const facts = getHostFacts();
    expect(facts.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(facts.machineId.length).toBeGreaterThan(0);
    expect(facts.bootTimeMs).toBeGreaterThan(0);
  });
});

describe('getProcessInfo', () => {
  it('describes this process from /proc', async () => {
    const info = await getProcessInfo(process.pid);
    expect(info?.pid).toBe(process.pid);
    expect(info?.ppid).toBe(process.ppid);
    expect(info?.cmdline[0]).toContain('node');
    expect(
      Math.abs((info?.startTimeMs ?? 0) - (Date.now() - process.uptime() * 1000)),
    ).toBeLessThan(3000);
  });

  it('returns null for a pid that does not exist', async () => {
    const child = start('true', []);
    await once(child, 'exit');
    expect(await getProcessInfo(child.pid!)).toBeNull();
  });

  it('reports a detached child as leader of its own group and session', async () => {
    const child = start('sleep', ['30'], { detached: true });
    await until(() => readEnvironVariable(child.pid!, 'PATH').status === 'found');
    const info = await getProcessInfo(child.pid!);
    expect(info).toMatchObject({
      pid: child.pid,
      ppid: process.pid,
      pgid: child.pid,
      sid: child.pid,
    });
  });
});

describe('listProcesses and descendantsOf', () => {
  it('finds a grandchild under its grandparent in one snapshot', async () => {
    const shell = start('sh', ['-c', 'sleep 30 & wait']);
    let grandchild: number | undefined;
    await until(() => {
      grandchild = descendantsOf(shell.pid!).find((row) => row.comm === 'sleep')?.pid;
      return grandchild !== undefined;
    });
    const table = await listProcesses();
    expect(table.some((row) => row.pid === shell.pid)).toBe(true);
    expect(descendantsOf(process.pid, table).map((row) => row.pid)).toEqual(
      expect.arrayContaining([shell.pid, grandchild]),
    );
  });
});

describe('captureIdentity and verifyIdentity', () => {
  it('is alive while the process runs and dead once it has exited', async () => {
    const child = start('sleep', ['30']);
    await until(() => readEnvironVariable(child.pid!, 'PATH').status === 'found');
    const identity = captureIdentity(child.pid!);
    expect(identity).not.toBeNull();
    expect(verifyIdentity(identity!)).toEqual({ status: 'alive', reason: 'identity-matches' });
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(verifyIdentity(identity!)).toEqual({ status: 'dead', reason: 'no-such-process' });
  });

  it('records RUNWARDEN_RUN_ID from the environment and checks it', async () => {
    const child = start('sleep', ['30'], {
      env: { ...process.env, RUNWARDEN_RUN_ID: 'run-identity-test' },
    });
    await until(() => readEnvironVariable(child.pid!, 'RUNWARDEN_RUN_ID').status === 'found');
    const identity = captureIdentity(child.pid!);
    expect(identity).toMatchObject({ token: 'run-identity-test', tokenSource: 'env' });
    expect(verifyIdentity(identity!).status).toBe('alive');
    expect(verifyIdentity({ ...identity!, token: 'another-run' })).toEqual({
      status: 'reused',
      reason: 'token-differs',
    });
  });

  it('calls an unreaped child a zombie, and a zombie dead', async () => {
    // sh starts `true` in the background, then execs into sleep, which never reaps it.
    const parent = start('sh', ['-c', 'true & exec sleep 30']);
    let zombie: number | undefined;
    await until(() => {
      zombie = descendantsOf(parent.pid!).find((row) => row.state === 'Z')?.pid;
      return zombie !== undefined;
    });
    const row = (await listProcesses()).find((candidate) => candidate.pid === zombie)!;
    const identity = {
      pid: row.pid,
      startTicks: row.startTicks,
      startTimeMs: row.startTimeMs,
      ...getHostFacts(),
    };
    expect(verifyIdentity(identity)).toEqual({ status: 'dead', reason: 'zombie' });
    expect(captureIdentity(zombie!)).toBeNull();
  });

  it('calls a pid with other start ticks reused', async () => {
    const identity = captureIdentity(process.pid)!;
    expect(verifyIdentity({ ...identity, startTicks: identity.startTicks - 1 })).toEqual({
      status: 'reused',
      reason: 'start-time-differs',
    });
  });
});
