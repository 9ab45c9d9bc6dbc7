import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ProcessInfo } from '@runwarden/process-identity';
import { type CommandSpec, parseCimProcesses } from '@runwarden/process-identity/internal';
import { describe, expect, it } from 'vitest';
import {
  killWindowsTree,
  parseTaskkillOutput,
  taskkillCommand,
  taskkillPath,
  type WindowsSystem,
} from './windows-kill.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', name), 'utf8');
const TASKKILL = 'C:\\Windows\\System32\\taskkill.exe';

describe('taskkillCommand', () => {
  it('runs taskkill.exe from %SystemRoot%\\System32, never through PATH', () => {
    expect(taskkillPath({ SystemRoot: 'D:\\WINNT' })).toBe('D:\\WINNT\\System32\\taskkill.exe');
    expect(taskkillPath({})).toBe(TASKKILL);
  });

  it('builds the graceful tree round as an argument array: /PID n /T', () => {
    expect(taskkillCommand({ pids: [8240], tree: true }, {})).toEqual({
      file: TASKKILL,
      args: ['/PID', '8240', '/T'],
    });
  });

  it('builds the forced round with one /PID per verified pid and /F', () => {
    expect(taskkillCommand({ pids: [8240, 8312], force: true }, {})).toEqual({
      file: TASKKILL,
      args: ['/PID', '8240', '/PID', '8312', '/F'],
    });
  });
});

describe('parseTaskkillOutput (recorded formats)', () => {
  it('reads refusals of a console tree with their reason', () => {
    expect(parseTaskkillOutput(fixture('taskkill-tree-console-refused.txt'))[0]).toEqual({
      pid: 8316,
      parentPid: 8312,
      result: 'failed',
      reason: 'This process can only be terminated forcefully (with /F option).',
    });
  });

  it('reads close messages sent to a tree', () => {
    expect(parseTaskkillOutput(fixture('taskkill-tree-signalled.txt'))).toEqual([
      { pid: 8316, parentPid: 8312, result: 'signalled' },
      { pid: 8312, parentPid: 8240, result: 'signalled' },
      { pid: 8240, parentPid: 8204, result: 'signalled' },
    ]);
  });

  it('reads forced terminations, access denied and not found', () => {
    expect(parseTaskkillOutput(fixture('taskkill-force-access-denied.txt'))).toEqual([
      { pid: 8240, result: 'terminated' },
      { pid: 8312, result: 'failed', reason: 'Access is denied.' },
      { pid: 8316, result: 'terminated' },
    ]);
    expect(parseTaskkillOutput(fixture('taskkill-not-found.txt'))).toEqual([
      { pid: 8240, result: 'not-found' },
    ]);
  });

  it('ignores lines it does not know (a translated Windows)', () => {
    expect(parseTaskkillOutput('ERFOLGREICH: Der Prozess mit PID 8240 wurde beendet.\r\n')).toEqual(
      [],
    );
  });
});

/** A Windows machine played from fixtures: the table, and what each taskkill prints and ends. */
function windowsMachine(
  script: Array<{
    args: string[];
    exitCode: number;
    output: string;
    ends?: number[];
    starts?: ProcessInfo[];
  }>,
) {
  let table = parseCimProcesses(fixture('windows-cim-tree.json'));
  const commands: CommandSpec[] = [];
  const system: WindowsSystem = {
    list: async () => table.map((row) => ({ ...row })),
    run: async (spec) => {
      commands.push(spec);
      const step = script.find((candidate) => candidate.args.join(' ') === spec.args.join(' '));
      if (!step) return { exitCode: 1, output: 'ERROR: Invalid argument/option.\r\n' };
      table = table.filter((row) => !step.ends?.includes(row.pid)).concat(step.starts ?? []);
      return { exitCode: step.exitCode, output: step.output };
    },
  };
  return { system, commands };
}

const root = { pid: 8240, startTicks: 176414053420 };
const timings = { graceMs: 300, forceWaitMs: 300, pollMs: 50 };

describe('killWindowsTree', () => {
  it('forces a console tree that refuses the close request, checking each pid first', async () => {
    const { system, commands } = windowsMachine([
      {
        args: ['/PID', '8240', '/T'],
        exitCode: 1,
        output: fixture('taskkill-tree-console-refused.txt'),
      },
      {
        args: ['/PID', '8240', '/PID', '8312', '/PID', '8316', '/F'],
        exitCode: 0,
        output: fixture('taskkill-force.txt'),
        ends: [8240, 8312, 8316],
      },
    ]);
    const result = await killWindowsTree(root, timings, system);
    expect(commands).toEqual([
      { file: TASKKILL, args: ['/PID', '8240', '/T'] },
      { file: TASKKILL, args: ['/PID', '8240', '/PID', '8312', '/PID', '8316', '/F'] },
    ]);
    expect(result).toMatchObject({
      ok: true,
      mechanism: 'taskkill',
      rootPid: 8240,
      killed: [8240, 8312, 8316],
      survivors: [],
      escalated: true,
    });
    expect(result.processes.map((entry) => [entry.pid, entry.reason, entry.signals])).toEqual([
      [8240, 'killed', ['taskkill', 'taskkill /F']],
      [8312, 'killed', ['taskkill', 'taskkill /F']],
      [8316, 'killed', ['taskkill', 'taskkill /F']],
    ]);
  });

  it('never touches an older process that names a reused parent pid', async () => {
    const { system } = windowsMachine([
      {
        args: ['/PID', '8240', '/T'],
        exitCode: 0,
        output: fixture('taskkill-tree-signalled.txt'),
        ends: [8240, 8312, 8316],
      },
    ]);
    const result = await killWindowsTree(root, timings, system);
    expect(result.processes.map((entry) => entry.pid)).not.toContain(9300);
  });

  it('needs no forced round when the tree closes', async () => {
    const { system, commands } = windowsMachine([
      {
        args: ['/PID', '8240', '/T'],
        exitCode: 0,
        output: fixture('taskkill-tree-signalled.txt'),
        ends: [8240, 8312, 8316],
      },
    ]);
    const result = await killWindowsTree(root, { ...timings, graceMs: 2000 }, system);
    expect(commands).toHaveLength(1);
    expect(result).toMatchObject({ ok: true, escalated: false, killed: [8240, 8312, 8316] });
    expect(result.processes.every((entry) => entry.reason === 'exited')).toBe(true);
  });

  it('reports a pid refused with Access is denied as eperm, and ends the rest', async () => {
    const { system } = windowsMachine([
      {
        args: ['/PID', '8240', '/T'],
        exitCode: 1,
        output: fixture('taskkill-tree-console-refused.txt'),
      },
      {
        args: ['/PID', '8240', '/PID', '8312', '/PID', '8316', '/F'],
        exitCode: 1,
        output: fixture('taskkill-force-access-denied.txt'),
        ends: [8240, 8316],
      },
    ]);
    const result = await killWindowsTree(root, timings, system);
    expect(result.ok).toBe(false);
    expect(result.survivors).toEqual([{ pid: 8312, reason: 'eperm', comm: 'cmd.exe' }]);
    expect(result.killed).toEqual([8240, 8316]);
  });

  it('does not force a pid that another process took during the grace period', async () => {
    const stranger: ProcessInfo = {
      pid: 8316,
      ppid: 4,
      pgid: -1,
      sid: -1,
      state: '?',
      comm: 'svchost.exe',
      startTicks: 176414060000,
      startTimeMs: 1764140600000,
      cmdline: [],
    };
    const { system, commands } = windowsMachine([
      {
        args: ['/PID', '8240', '/T'],
        exitCode: 1,
        output: fixture('taskkill-tree-console-refused.txt'),
        ends: [8316],
        starts: [stranger],
      },
      {
        args: ['/PID', '8240', '/PID', '8312', '/F'],
        exitCode: 0,
        output: fixture('taskkill-force.txt'),
        ends: [8240, 8312],
      },
    ]);
    const result = await killWindowsTree(root, timings, system);
    expect(commands.at(-1)?.args).toEqual(['/PID', '8240', '/PID', '8312', '/F']);
    expect(result.processes.find((entry) => entry.pid === 8316)?.reason).toBe('reused');
    expect(result.ok).toBe(true);
  });

  it('does nothing when the root is already gone', async () => {
    const { system, commands } = windowsMachine([]);
    const result = await killWindowsTree(undefined, timings, system);
    expect(commands).toEqual([]);
    expect(result).toMatchObject({ ok: true, rootPid: null, killed: [], survivors: [] });
  });
});
