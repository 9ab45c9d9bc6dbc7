import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cimCommand, cimProcessScript, parseCimDate, parseCimProcesses } from './cim-table.js';
import { descendantsOf } from './process-table.js';

const fixtures = join(import.meta.dirname, '..', 'test', 'fixtures');
const ps51 = readFileSync(join(fixtures, 'windows-cim-ps51.json'), 'utf8');
const ps7 = readFileSync(join(fixtures, 'windows-cim-ps7-single.json'), 'utf8');

describe('cimCommand', () => {
  const env = { SystemRoot: 'D:\\WINNT' };

  it('starts powershell.exe by absolute path with an argument array, the script encoded', () => {
    const command = cimCommand({ env });
    expect(command.file).toBe('D:\\WINNT\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(command.args.slice(0, 4)).toEqual([
      '-NoLogo',
      '-NoProfile',
      '-NonInteractive',
      '-EncodedCommand',
    ]);
    expect(command.args).toHaveLength(5);
    expect(Buffer.from(command.args[4]!, 'base64').toString('utf16le')).toBe(cimProcessScript());
  });

  it('queries Win32_Process once for ProcessId, ParentProcessId, CreationDate and CommandLine', () => {
    expect(cimProcessScript()).toContain(
      'Get-CimInstance -ClassName Win32_Process -Property ProcessId,ParentProcessId,CreationDate,CommandLine,Name',
    );
    expect(cimProcessScript()).toContain('ConvertTo-Json -InputObject $rows -Compress');
  });

  it('filters on a pid that is an integer, never on text', () => {
    expect(cimProcessScript(8204)).toContain('-Filter "ProcessId = 8204"');
    expect(cimProcessScript(8204.9)).toContain('-Filter "ProcessId = 8204"');
  });

  it('falls back to C:\\Windows when SystemRoot is not set', () => {
    expect(cimCommand({ env: {} }).file).toBe(
      'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe',
    );
  });
});

describe('parseCimDate', () => {
  it.each([
    ['/Date(1764140533901)/', 1764140533901],
    ['2025-11-26T08:08:53.9012345+01:00', Date.UTC(2025, 10, 26, 7, 8, 53, 901)],
    ['20251126080853.901234+060', Date.UTC(2025, 10, 26, 7, 8, 53, 901)],
    [{ value: '/Date(5)/', DateTime: 'Thursday' }, 5],
    [null, null],
    ['yesterday', null],
  ])('reads %j as %j', (value, expected) => {
    expect(parseCimDate(value)).toBe(expected);
  });
});

describe('parseCimProcesses (recorded Windows PowerShell format)', () => {
  const rows = parseCimProcesses(ps51);

  it('reads every process, including those without a creation date or command line', () => {
    expect(rows).toHaveLength(12);
    expect(rows[0]).toEqual({
      pid: 0,
      ppid: 0,
      pgid: -1,
      sid: -1,
      state: '?',
      comm: 'System Idle Process',
      startTicks: 0,
      startTimeMs: 0,
      cmdline: [],
    });
  });

  it('splits the command line like CommandLineToArgvW', () => {
    expect(rows.find((row) => row.pid === 8204)).toMatchObject({
      ppid: 7720,
      comm: 'node.exe',
      startTimeMs: 1764140533901,
      startTicks: 176414053390,
      cmdline: [
        'C:\\Program Files\\nodejs\\node.exe',
        'C:\\Users\\dev\\AppData\\Roaming\\npm\\node_modules\\runwarden\\dist\\cli.js',
        'run',
        '--',
        'opencode',
        'run',
        'fix the tests',
      ],
    });
    expect(rows.find((row) => row.pid === 9120)?.cmdline).toEqual([
      'C:\\tools\\watcher.exe',
      '--poll',
      'C:\\data dir\\',
    ]);
  });

  it('does not call a process the child of a younger process that reused its parent pid', () => {
    const underNotepad = descendantsOf(9001, rows).map((row) => row.pid);
    expect(underNotepad).toEqual([]);
    expect(descendantsOf(7720, rows).map((row) => row.pid)).toEqual([8204, 8240, 8312, 8316]);
  });

  it('reads the single object PowerShell 7 prints for one process', () => {
    expect(parseCimProcesses(ps7)).toEqual([
      expect.objectContaining({
        pid: 8204,
        startTimeMs: Date.UTC(2025, 10, 26, 7, 8, 53, 901),
        cmdline: ['C:\\Program Files\\nodejs\\node.exe', 'cli.js'],
      }),
    ]);
  });

  it('reads nothing from empty output (a pid that is gone)', () => {
    expect(parseCimProcesses('')).toEqual([]);
    expect(parseCimProcesses('[]\r\n')).toEqual([]);
  });

  it('refuses output that is not JSON with ERR_PROCESS_TABLE', () => {
    expect(() => parseCimProcesses('Get-CimInstance : Access denied')).toThrow(
      expect.objectContaining({
        code: 'ERR_PROCESS_TABLE',
        message: 'PowerShell printed something that is not JSON: Get-CimInstance : Access denied',
      }),
    );
  });
});
