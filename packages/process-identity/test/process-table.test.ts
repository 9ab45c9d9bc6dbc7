import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { Children, canSetLastPid, spawnAtPid, until } from '@runwarden/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { runCommandSync } from '../src/command.js';
import {
  captureIdentity,
  currentTicks,
  descendantsOf,
  getHostFacts,
  getProcessInfo,
  getProcessInfoSync,
  listProcesses,
  readEnvironVariable,
  verifyIdentity,
} from '../src/index.js';
import { parsePsTable, psCommand } from '../src/internal.js';

const children = new Children();
const start = children.start.bind(children);

afterEach(() => children.endAll());

/** The first of these files that holds a line, trimmed (machine-id(5) names two). */
function firstLine(...paths: string[]): string {
  for (const path of paths) {
    try {
      const text = readFileSync(path, 'utf8').trim();
      if (text) return text;
    } catch {
      // try the next
    }
  }
  throw new Error(`none of ${paths.join(', ')} can be read`);
}

describe('host facts', () => {
  it("reads the kernel's boot id and boot time and the machine id on Linux", () => {
    const facts = getHostFacts();
    expect(facts.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(facts.bootId).toBe(firstLine('/proc/sys/kernel/random/boot_id'));
    // proc(5): `btime` in /proc/stat is the boot time in seconds since the epoch.
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    expect(facts.bootTimeMs).toBe(Number(btime) * 1000);
    // machine-id(5): 32 lower-case hexadecimal digits, in /etc/machine-id (or D-Bus's copy).
    expect(facts.machineId).toBe(firstLine('/etc/machine-id', '/var/lib/dbus/machine-id'));
    expect(facts.machineId).toMatch(/^[0-9a-f]{32}$/);
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

const hasPerl = (() => {
  try {
    execFileSync('perl', ['-e', '1'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('a command line that reads empty', () => {
  it.skipIf(!hasPerl)(
    'is unknown, never reused, for a real process exec-ed with an empty argv, as mid-exec (skipped: needs perl)',
    async () => {
      // execve(2) with argc 0: the kernel shows one empty argument, as a process caught mid-exec shows none.
      const child = start('perl', ['-e', 'exec { "/bin/cat" } ()'], {
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      // Wait until cat blocks reading stdin: exec is over.
      await until(() => {
        const info = getProcessInfoSync(child.pid!);
        return info?.comm === 'cat' && info.state === 'S';
      });
      expect(getProcessInfoSync(child.pid!)?.cmdline).toEqual(['']);
      const identity = captureIdentity(child.pid!, {
        token: 'runner_token',
        tokenSource: 'cmdline',
      })!;
      expect(verifyIdentity(identity)).toEqual({ status: 'unknown', reason: 'cmdline-empty' });
    },
  );

  it.skipIf(getProcessInfoSync(2)?.comm !== 'kthreadd')(
    'is unknown for a kernel thread, which has no command line (skipped: kthreadd not visible in this pid namespace)',
    () => {
      const identity = captureIdentity(2, { token: 'runner_token', tokenSource: 'cmdline' })!;
      expect(verifyIdentity(identity)).toEqual({ status: 'unknown', reason: 'cmdline-empty' });
    },
  );
});

describe('the macOS ps reader on real ps output', () => {
  it.skipIf(!existsSync('/bin/ps'))(
    'reads the same pid, parent, group, state, start second and argv as /proc (procps prints the same columns)',
    async () => {
      const child = start('sleep', ['30'], { detached: true });
      await until(() => getProcessInfoSync(child.pid!)?.comm === 'sleep');
      const rows = parsePsTable(runCommandSync(psCommand({ pid: child.pid! })));
      const proc = getProcessInfoSync(child.pid!)!;
      expect(rows).toEqual([
        expect.objectContaining({
          pid: child.pid,
          ppid: process.pid,
          pgid: child.pid,
          state: proc.state,
          comm: 'sleep',
          cmdline: ['sleep', '30'],
        }),
      ]);
      // lstart has one-second resolution; /proc's boot time + ticks about the same.
      expect(Math.abs(rows[0]!.startTimeMs - proc.startTimeMs)).toBeLessThan(2000);
      expect(parsePsTable(runCommandSync(psCommand(), {})).length).toBeGreaterThan(1);
    },
  );
});

describe('real pid reuse', () => {
  it.skipIf(!canSetLastPid)(
    'calls a stale identity reused when the kernel gives its pid to a new process (skipped: needs root for ns_last_pid)',
    async () => {
      const first = start('sleep', ['30'], { env: { ...process.env, RUNWARDEN_RUN_ID: 'run-a' } });
      await until(() => readEnvironVariable(first.pid!, 'RUNWARDEN_RUN_ID').status === 'found');
      const stale = captureIdentity(first.pid!)!;
      expect(stale).toMatchObject({ token: 'run-a', comm: 'sleep' });
      first.kill('SIGKILL');
      await once(first, 'exit');
      const second = await spawnAtPid(stale.pid, () =>
        start('sleep', ['30'], { env: { ...process.env, RUNWARDEN_RUN_ID: 'run-b' } }),
      );
      expect(second?.pid).toBe(stale.pid);
      await until(() => readEnvironVariable(stale.pid, 'RUNWARDEN_RUN_ID').status === 'found');
      const now = getProcessInfoSync(stale.pid)!;
      expect(now.comm).toBe('sleep');
      // Same pid, same executable; the start tick often matches too, and then only the token tells them apart.
      const verdict = verifyIdentity(stale);
      expect(verdict).toEqual({
        status: 'reused',
        reason: now.startTicks === stale.startTicks ? 'token-differs' : 'start-time-differs',
      });
      expect(verifyIdentity(captureIdentity(stale.pid)!)).toEqual({
        status: 'alive',
        reason: 'identity-matches',
      });
    },
  );
});

describe('currentTicks', () => {
  it('counts in the unit of start ticks: a new process starts at or before now', async () => {
    const before = currentTicks();
    const child = start('sleep', ['30']);
    await until(() => getProcessInfoSync(child.pid!)?.comm === 'sleep');
    const startTicks = getProcessInfoSync(child.pid!)!.startTicks;
    expect(startTicks).toBeGreaterThanOrEqual(before);
    expect(startTicks).toBeLessThanOrEqual(currentTicks());
  });
});

describe('an identity across a rename', () => {
  it('stays alive when the process sets process.title (comm changes, exe does not)', async () => {
    const child = spawn(
      process.execPath,
      [
        '-e',
        'process.stdin.once("data", () => { process.title = "renamed-agent"; console.log("renamed"); }); setInterval(() => {}, 1000)',
      ],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    children.push(child);
    await until(() => getProcessInfoSync(child.pid!)?.cmdline[0] === process.execPath);
    const identity = captureIdentity(child.pid!, { tokenSource: 'cmdline', token: undefined })!;
    expect(identity.exe).toBe(realpathSync(process.execPath));
    child.stdin!.write('go\n');
    await once(child.stdout!, 'data');
    expect(getProcessInfoSync(child.pid!)?.comm).not.toBe(identity.comm);
    expect(verifyIdentity(identity)).toEqual({ status: 'alive', reason: 'identity-matches' });
  });
});
