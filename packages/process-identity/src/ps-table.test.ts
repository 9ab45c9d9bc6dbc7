import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePsTable, psCommand } from './ps-table.js';

const fixture = readFileSync(
  join(import.meta.dirname, '..', 'test', 'fixtures', 'macos-ps-table.txt'),
  'utf8',
);

describe('psCommand', () => {
  it('lists the whole table with one ps call by absolute path, as an argument array', () => {
    expect(psCommand()).toEqual({
      file: '/bin/ps',
      args: ['-A', '-ww', '-o', 'pid=,ppid=,pgid=,stat=,lstart=,args='],
      env: { LC_ALL: 'C', LANG: 'C', TZ: 'UTC' },
    });
  });

  it('asks for one pid with -p', () => {
    expect(psCommand({ pid: 2210 }).args).toEqual([
      '-p',
      '2210',
      '-ww',
      '-o',
      'pid=,ppid=,pgid=,stat=,lstart=,args=',
    ]);
  });
});

describe('parsePsTable (recorded macOS format)', () => {
  const rows = parsePsTable(fixture);

  it('reads every line of the table', () => {
    expect(rows).toHaveLength(14);
  });

  it('reads pid, ppid, pgid, state, start time and argv of a process', () => {
    expect(rows.find((row) => row.pid === 2210)).toEqual({
      pid: 2210,
      ppid: 1874,
      pgid: 2210,
      sid: -1,
      state: 'S',
      comm: 'node',
      startTicks: (Date.UTC(2025, 10, 26, 8, 2, 13) / 1000) * 100,
      startTimeMs: Date.UTC(2025, 10, 26, 8, 2, 13),
      cmdline: [
        'node',
        '/Users/dev/.local/bin/runwarden',
        'run',
        '--mission-timeout',
        '2h',
        '--',
        'opencode',
        'run',
        'fix',
        'the',
        'tests',
      ],
    });
  });

  it('reads a space-padded day of the month', () => {
    expect(rows.find((row) => row.pid === 512)?.startTimeMs).toBe(
      Date.UTC(2025, 10, 2, 23, 59, 59),
    );
  });

  it('marks a zombie Z and gives it no command line', () => {
    expect(rows.find((row) => row.pid === 2232)).toMatchObject({
      state: 'Z',
      comm: 'node',
      cmdline: [],
    });
  });

  it('takes the name from (comm) when ps cannot read the arguments', () => {
    expect(rows.find((row) => row.pid === 148)).toMatchObject({
      comm: 'WindowServer',
      cmdline: [],
    });
  });

  it('keeps the process group of a pipeline member', () => {
    expect(rows.find((row) => row.pid === 2231)).toMatchObject({ ppid: 2216, pgid: 2216 });
  });

  it('skips lines that are not process rows instead of guessing', () => {
    expect(parsePsTable('  PID  PPID\ngarbage\n\n')).toEqual([]);
  });
});
