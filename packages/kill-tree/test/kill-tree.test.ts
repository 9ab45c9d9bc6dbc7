import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import {
  captureIdentity,
  descendantsOf,
  getProcessInfoSync,
  listProcessesSync,
  readEnvironVariable,
} from '@runwarden/process-identity';
import {
  alive,
  Children,
  canSetLastPid,
  copyBuiltPackage,
  spawnAtPid,
  until,
} from '@runwarden/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { KillTreeError, killTree } from '../src/index.js';
import { defaultPosixSystem, killPosixTree } from '../src/posix-kill.js';

const processes = new Children();
const strays = new Set<number>();
const start = processes.start.bind(processes);
const tokenOf = (pid: number) => {
  const read = readEnvironVariable(pid, 'RUNWARDEN_RUN_ID');
  return read.status === 'found' ? read.value : undefined;
};
const reasonOf = (result: Awaited<ReturnType<typeof killTree>>, pid: number) =>
  result.processes.find((entry) => entry.pid === pid)?.reason;
/** Ended by the forced round: SIGKILL was sent, and it is dead (`killed`, reaped or still a zombie). */
const endedByForce = (result: Awaited<ReturnType<typeof killTree>>, pid: number) => {
  const entry = result.processes.find((candidate) => candidate.pid === pid);
  return entry?.signals.includes('SIGKILL') && entry.reason === 'killed';
};
const newToken = () => `kill-tree-test-${process.pid}-${Date.now()}-${Math.random()}`;

afterEach(async () => {
  await processes.endAll();
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  strays.clear();
});

describe('killTree on a real tree', () => {
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
    expect(result).toMatchObject({ ok: true, escalated: true, survivors: [] });
    expect(result.killed).toEqual(expect.arrayContaining([leader.pid, grandchild]));
    expect(reasonOf(result, leader.pid!)).toMatch(/^(exited|zombie)$/);
    expect(endedByForce(result, grandchild)).toBe(true);
    expect(result.processes.find((entry) => entry.pid === grandchild)?.signals).toEqual([
      'SIGSTOP',
      'SIGTERM',
      'SIGCONT',
      'SIGKILL',
    ]);
    expect(alive(grandchild)).toBe(false);
  });

  it('needs no forced round when the tree obeys SIGTERM', async () => {
    const leader = start('sh', ['-c', 'sleep 30 & sleep 30 & wait'], { detached: true });
    await until(() => descendantsOf(leader.pid!).length === 2);
    const result = await killTree(leader.pid!, { graceMs: 5000 });
    expect(result).toMatchObject({ ok: true, escalated: false, survivors: [] });
    expect(result.killed).toHaveLength(3);
    expect(result.phases.forceMs).toBe(0);
  });

  it('ends the orphaned child of a root that is not a group leader (it stayed in its group)', async () => {
    // Not detached: the tree shares this test's process group, which the kill does not own.
    const root = start('sh', ['-c', `sh -c 'trap "" TERM; while :; do sleep 1; done' & wait`]);
    const child = await until(() => descendantsOf(root.pid!).find((row) => row.comm === 'sh')?.pid);
    await until(() => descendantsOf(child).length > 0);
    const result = await killTree(root.pid!, { graceMs: 300 });
    expect(result.ok).toBe(true);
    expect(endedByForce(result, child)).toBe(true);
    expect(alive(child)).toBe(false);
  });

  it('kills a setsid escapee that carries the run token', async () => {
    const token = newToken();
    const leader = start(
      'sh',
      ['-c', `setsid sh -c 'trap "" TERM; exec sleep 30' & exec sleep 30`],
      { detached: true, env: { ...process.env, RUNWARDEN_RUN_ID: token } },
    );
    const escapee = await until(
      () =>
        listProcessesSync({ cmdline: false }).find(
          // comm is sleep once the trap is set and exec has run.
          (row) =>
            row.pid !== leader.pid &&
            row.comm === 'sleep' &&
            row.sid === row.pid &&
            tokenOf(row.pid) === token,
        )?.pid,
    );
    strays.add(escapee);
    const result = await killTree(captureIdentity(leader.pid!)!, { graceMs: 300 });
    expect(result.ok).toBe(true);
    expect(endedByForce(result, escapee)).toBe(true);
    expect(alive(escapee)).toBe(false);
  });

  it('kills a double-forked daemon in its own session, found only by the run token', async () => {
    const token = newToken();
    // The subshell forks the daemon and exits: the daemon is reparented, in a new session.
    const leader = start(
      'sh',
      ['-c', `(setsid sh -c 'trap "" TERM; exec sleep 30' &) ; exec sleep 30`],
      { detached: true, env: { ...process.env, RUNWARDEN_RUN_ID: token } },
    );
    const daemon = await until(() => {
      const row = listProcessesSync({ cmdline: false }).find(
        (candidate) =>
          candidate.pid !== leader.pid &&
          candidate.comm === 'sleep' &&
          candidate.sid === candidate.pid &&
          tokenOf(candidate.pid) === token,
      );
      return row && row.ppid !== leader.pid ? row.pid : undefined;
    });
    strays.add(daemon);
    const result = await killTree(leader.pid!, { graceMs: 300, token });
    expect(result.ok).toBe(true);
    expect(result.processes.find((entry) => entry.pid === daemon)?.via).toBe('token');
    expect(endedByForce(result, daemon)).toBe(true);
    expect(alive(daemon)).toBe(false);
  });

  it('kills a double-forked daemon without the token that kept the session', async () => {
    const leader = start('sh', ['-c', `(sh -c 'trap "" TERM; exec sleep 30' &) ; exec sleep 30`], {
      detached: true,
      env: { ...process.env, RUNWARDEN_RUN_ID: '' },
    });
    const daemon = await until(() => {
      const row = listProcessesSync({ cmdline: false }).find(
        (candidate) =>
          candidate.sid === leader.pid &&
          candidate.pid !== leader.pid &&
          candidate.comm === 'sleep',
      );
      return row && row.ppid !== leader.pid ? row.pid : undefined;
    });
    strays.add(daemon);
    const result = await killTree(leader.pid!, { graceMs: 300 });
    expect(result.ok).toBe(true);
    expect(['group', 'session']).toContain(
      result.processes.find((entry) => entry.pid === daemon)?.via,
    );
    expect(endedByForce(result, daemon)).toBe(true);
    expect(alive(daemon)).toBe(false);
  });

  it('ends a member that left its group but kept the session of a dead leader, given the session (not the group)', async () => {
    // The member clears its environment and moves to a group of its own (setpgid(0, 0)); then its leader dies.
    const mover = `import os, time; os.setpgid(0, 0); time.sleep(30)`;
    const leader = start('sh', ['-c', `env -i python3 -c '${mover}' & exec sleep 30`], {
      detached: true,
    });
    const leaderStartTicks = (await until(() => getProcessInfoSync(leader.pid!)))!.startTicks;
    const member = await until(() => {
      const row = listProcessesSync({ cmdline: false }).find(
        (candidate) =>
          candidate.sid === leader.pid &&
          candidate.pgid === candidate.pid &&
          candidate.pid !== leader.pid,
      );
      return row?.pid;
    });
    strays.add(member);
    const exited = once(leader, 'exit');
    leader.kill('SIGKILL');
    await exited;
    const token = newToken();
    const byGroup = await killTree(
      { token },
      { graceMs: 300, processGroups: [{ pgid: leader.pid!, leaderStartTicks }] },
    );
    expect(byGroup.processes.map((entry) => entry.pid)).not.toContain(member);
    expect(alive(member)).toBe(true);
    const bySession = await killTree(
      { token },
      { graceMs: 300, sessions: [{ sid: leader.pid!, leaderStartTicks }] },
    );
    expect(bySession).toMatchObject({ ok: true, killed: [member] });
    expect(bySession.processes.find((entry) => entry.pid === member)?.via).toBe('session');
    expect(alive(member)).toBe(false);
  });

  it('reports a process that leaves the tree without the token as escaped, and does not force-kill it', async () => {
    // On SIGTERM the grandchild moves itself to a new session (setsid in the same
    // process) with the token removed, while the leader dies at once.
    const escapeScript = `trap 'trap \\"\\" TERM; exec setsid sleep 30' TERM; while :; do sleep 0.05; done`;
    const leader = start(
      'sh',
      ['-c', `env -u RUNWARDEN_RUN_ID sh -c "${escapeScript}" & exec sleep 30`],
      { detached: true, env: { ...process.env, RUNWARDEN_RUN_ID: newToken() } },
    );
    const runner = await until(
      () =>
        descendantsOf(leader.pid!).find(
          (row) => row.comm === 'sh' && tokenOf(row.pid) === undefined,
        )?.pid,
    );
    strays.add(runner);
    const result = await killTree(captureIdentity(leader.pid!)!, { graceMs: 1000 });
    expect(result.ok).toBe(false);
    expect(result.survivors).toEqual([
      expect.objectContaining({ pid: runner, reason: 'escaped', comm: 'sh' }),
    ]);
    expect(reasonOf(result, leader.pid!)).toMatch(/^(exited|zombie)$/);
    // Still alive, in a session of its own: reported, never silently left behind.
    expect(getProcessInfoSync(runner, { cmdline: false })).toMatchObject({
      sid: runner,
      comm: 'sleep',
    });
    expect(result.processes.find((entry) => entry.pid === runner)?.signals).not.toContain(
      'SIGKILL',
    );
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

  it('calls a member our signal ended `exited`, even while it stays a zombie no one reaps', async () => {
    // `sleep 60` (exec-ed by sh) never reaps its child `sleep 30`: killing the child leaves a zombie.
    const parent = start('sh', ['-c', 'sleep 30 & exec sleep 60']);
    const child = await until(() => descendantsOf(parent.pid!)[0]?.pid);
    await until(() => getProcessInfoSync(child)?.comm === 'sleep');
    const result = await killTree(child, { graceMs: 2000 });
    expect(result).toMatchObject({ ok: true, killed: [child], survivors: [] });
    expect(reasonOf(result, child)).toBe('exited');
    expect(getProcessInfoSync(child)?.state).toBe('Z');
  });

  it('calls a member the forced signal ended `killed`, not `zombie`, while its parent has not reaped it', async () => {
    // The child ignores SIGTERM; its parent (`sleep 60`) never reaps it.
    const parent = start('sh', ['-c', `sh -c 'trap "" TERM; exec sleep 30' & exec sleep 60`]);
    const child = await until(
      () => descendantsOf(parent.pid!).find((row) => row.comm === 'sleep')?.pid,
    );
    const result = await killTree(child, { graceMs: 200 });
    expect(result).toMatchObject({ ok: true, killed: [child], survivors: [] });
    expect(reasonOf(result, child)).toBe('killed');
    expect(getProcessInfoSync(child)?.state).toBe('Z');
  });

  it('keeps going when a member exits in the middle of the walk', async () => {
    const leader = start('sh', ['-c', 'sleep 30 & sleep 30 & sleep 30 & wait'], { detached: true });
    await until(() => descendantsOf(leader.pid!).length === 3);
    const system = defaultPosixSystem();
    const victim = descendantsOf(leader.pid!)[1]!.pid;
    let scans = 0;
    const result = await killPosixTree(
      {
        root: { pid: leader.pid!, startTicks: getProcessInfoSync(leader.pid!)!.startTicks },
        token: undefined,
        processGroups: new Map(),
      },
      {
        signal: 'SIGTERM',
        forceSignal: 'SIGKILL',
        graceMs: 2000,
        forceWaitMs: 2000,
        pollMs: 50,
        freeze: true,
      },
      {
        ...system,
        // Right after the first snapshot, one member dies before it is signalled.
        scan: async () => {
          const snapshot = await system.scan();
          if (scans++ === 0) {
            process.kill(victim, 'SIGKILL');
            await until(() => !alive(victim));
          }
          return snapshot;
        },
      },
    );
    expect(result).toMatchObject({ ok: true, survivors: [] });
    expect(result.killed).toHaveLength(4);
    // Dead before the signals (reaped, or a zombie until its parent reaps it); never force-killed.
    expect(['exited', 'zombie']).toContain(reasonOf(result, victim));
    expect(result.processes.find((entry) => entry.pid === victim)?.signals).not.toContain(
      'SIGKILL',
    );
  });

  it('reports a process that survives SIGKILL as unkillable, never hides it (simulated: a process stuck in the kernel cannot be made on demand)', async () => {
    const leader = start('sh', ['-c', `sh -c 'trap "" TERM; exec sleep 30' & exec sleep 30`], {
      detached: true,
    });
    const stuck = await until(() => descendantsOf(leader.pid!)[0]?.pid);
    await until(() => getProcessInfoSync(stuck)?.comm === 'sleep');
    strays.add(stuck);
    const system = defaultPosixSystem();
    const result = await killPosixTree(
      {
        root: { pid: leader.pid!, startTicks: getProcessInfoSync(leader.pid!)!.startTicks },
        token: undefined,
        processGroups: new Map(),
      },
      {
        signal: 'SIGTERM',
        forceSignal: 'SIGKILL',
        graceMs: 200,
        forceWaitMs: 300,
        pollMs: 50,
        freeze: true,
      },
      // The kernel takes the SIGKILL but the process stays, as one in state D does.
      {
        ...system,
        signal: (pid, signal) =>
          pid === stuck && signal === 'SIGKILL' ? 'ok' : system.signal(pid, signal),
      },
    );
    expect(result.ok).toBe(false);
    expect(result.escalated).toBe(true);
    expect(result.survivors).toEqual([
      { pid: stuck, reason: 'unkillable', comm: 'sleep', state: expect.any(String) },
    ]);
    expect(result.killed).toEqual([leader.pid]);
  });

  it('reports an already-finished root as nothing to do', async () => {
    const child = start('true', []);
    await once(child, 'exit');
    const result = await killTree(child.pid!, { graceMs: 100 });
    expect(result).toMatchObject({
      ok: true,
      rootPid: null,
      killed: [],
      survivors: [],
      processes: [],
    });
  });

  it('refuses a stale identity with ERR_IDENTITY_MISMATCH and signals nothing', async () => {
    const victim = start('sleep', ['30']);
    await until(() => getProcessInfoSync(victim.pid!)?.comm === 'sleep');
    const identity = captureIdentity(victim.pid!)!;
    const stale = { ...identity, startTicks: identity.startTicks - 100 };
    const error = await killTree(stale).catch((caught: unknown) => caught);
    expect(KillTreeError.isInstance(error)).toBe(true);
    expect((error as KillTreeError).code).toBe('ERR_IDENTITY_MISMATCH');
    expect((error as KillTreeError).message).toBe(
      `Refusing to signal pid ${victim.pid}: it is no longer the recorded process (start-time-differs).`,
    );
    expect(alive(victim.pid!)).toBe(true);
    expect(getProcessInfoSync(victim.pid!)?.state).not.toBe('T');
  });

  it.each([
    [-1, {}, 'ERR_INVALID_TARGET', 'Invalid pid: -1'],
    [{ token: '' }, {}, 'ERR_INVALID_TARGET', 'A token target needs a non-empty token.'],
    [
      process.pid,
      { graceMs: -5 },
      'ERR_INVALID_OPTION',
      'graceMs must be a non-negative number of ms, not -5.',
    ],
  ] as const)('rejects %j %j with %s', async (target, options, code, message) => {
    await expect(killTree(target, options)).rejects.toMatchObject({ code, message });
  });
});

const isRoot = process.getuid?.() === 0;
describe('killTree and a real pid reuse', () => {
  it.skipIf(!canSetLastPid)(
    'refuses a stale identity whose pid the kernel gave to a new process, and signals nothing (skipped: needs root for ns_last_pid)',
    async () => {
      const first = start('sleep', ['30'], { env: { ...process.env, RUNWARDEN_RUN_ID: 'run-a' } });
      await until(() => tokenOf(first.pid!) === 'run-a');
      const stale = captureIdentity(first.pid!)!;
      first.kill('SIGKILL');
      await once(first, 'exit');
      const second = await spawnAtPid(stale.pid, () =>
        start('sleep', ['30'], { env: { ...process.env, RUNWARDEN_RUN_ID: 'run-b' } }),
      );
      expect(second?.pid).toBe(stale.pid);
      await until(() => tokenOf(stale.pid) === 'run-b');
      const error = await killTree(stale, { graceMs: 100 }).catch((caught: unknown) => caught);
      expect(KillTreeError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'ERR_IDENTITY_MISMATCH' });
      expect((error as KillTreeError).verdict?.status).toBe('reused');
      // Not signalled: not killed, and not left stopped.
      expect(alive(stale.pid)).toBe(true);
      expect(getProcessInfoSync(stale.pid)?.state).not.toBe('T');
    },
  );
});

describe('killTree and a pid it may not signal', () => {
  it.skipIf(!isRoot)(
    'reports the EPERM pid and still ends the rest of the tree (skipped: needs root to start processes of two users)',
    async () => {
      // The root process belongs to root; its two children to nobody. The kill runs as nobody.
      const leader = start(
        process.execPath,
        [
          '-e',
          `const { spawn } = require('node:child_process');
           for (let i = 0; i < 2; i++) spawn('sleep', ['30'], { uid: 65534, gid: 65534, stdio: 'ignore' });
           setInterval(() => {}, 1 << 30);`,
        ],
        { detached: true },
      );
      const children = await until(() => {
        const rows = descendantsOf(leader.pid!).filter((row) => row.comm === 'sleep');
        return rows.length === 2 ? rows.map((row) => row.pid) : undefined;
      });
      // nobody imports a copy it can read: the checkout may be private to its owner.
      const readable = copyBuiltPackage(join(import.meta.dirname, '..'));
      const entry = readable.entry;
      const killer = spawn(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { killTree } = await import(${JSON.stringify(entry)});
           process.stdout.write(JSON.stringify(await killTree(${leader.pid}, { graceMs: 500, forceWaitMs: 500 })));`,
        ],
        { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let output = '';
      killer.stdout!.on('data', (chunk) => {
        output += chunk;
      });
      await once(killer, 'exit');
      readable.remove();
      const result = JSON.parse(output);
      expect(result.ok).toBe(false);
      expect(result.survivors).toEqual([
        expect.objectContaining({ pid: leader.pid, reason: 'eperm' }),
      ]);
      expect(result.killed).toEqual([...children].sort((a, b) => a - b));
      for (const pid of children) expect(alive(pid)).toBe(false);
      expect(alive(leader.pid!)).toBe(true);
    },
  );
});
