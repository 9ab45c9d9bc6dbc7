import { win32 } from 'node:path';
import type { CommandSpec } from './command.js';
import { ProcessIdentityError } from './errors.js';
import type { ProcessInfo } from './process-info.js';
import { splitWindowsCommandLine } from './windows-command-line.js';

/**
 * Windows PowerShell 5.1, which every supported Windows has, by absolute path:
 * `%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe`.
 *
 * @param env - where `SystemRoot` is read; `process.env` when omitted.
 * @returns the absolute path.
 */
export function powershellPath(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.SystemRoot ?? env.SYSTEMROOT ?? 'C:\\Windows';
  return win32.join(root, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}

/**
 * The PowerShell script of the one `Get-CimInstance Win32_Process` query:
 * `ProcessId`, `ParentProcessId`, `CreationDate`, `CommandLine` and `Name`,
 * printed as one compact JSON array.
 *
 * @param pid - only this process (a `-Filter` on a validated integer).
 * @returns the script text.
 */
export function cimProcessScript(pid?: number): string {
  const filter = pid === undefined ? '' : ` -Filter "ProcessId = ${Math.trunc(pid)}"`;
  return [
    "$ProgressPreference = 'SilentlyContinue'",
    '[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false',
    `$rows = @(Get-CimInstance -ClassName Win32_Process${filter} -Property ProcessId,ParentProcessId,CreationDate,CommandLine,Name | Select-Object ProcessId,ParentProcessId,CreationDate,CommandLine,Name)`,
    'ConvertTo-Json -InputObject $rows -Compress',
  ].join('\n');
}

/**
 * The one PowerShell call that lists the process table on Windows, started
 * with an argument array, never a command string: the script travels as
 * `-EncodedCommand` (Base64 of UTF-16LE), so no quoting of the Windows command
 * line can change it (as `pidtree` does since `wmic` was removed).
 *
 * @param options - `pid`: only this process; `env`: where `SystemRoot` is read.
 * @returns the command to run.
 */
export function cimCommand(options: { pid?: number; env?: NodeJS.ProcessEnv } = {}): CommandSpec {
  return {
    file: powershellPath(options.env),
    args: [
      '-NoLogo',
      '-NoProfile',
      '-NonInteractive',
      '-EncodedCommand',
      Buffer.from(cimProcessScript(options.pid), 'utf16le').toString('base64'),
    ],
  };
}

/**
 * Reads a `CreationDate` as Windows PowerShell prints it, to Unix ms: 5.1
 * writes `"\/Date(1732581312123)\/"` (ms since the epoch, UTC), PowerShell 7
 * an ISO 8601 string, and raw CIM a DMTF datetime
 * (`20241126003512.123456+060`).
 *
 * @param value - the JSON value.
 * @returns Unix ms, or `null` when there is none (the System Idle Process).
 */
export function parseCimDate(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'object' && 'value' in value) return parseCimDate(value.value);
  if (typeof value !== 'string') return null;
  const msDate = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(value);
  if (msDate) return Number(msDate[1]);
  const dmtf = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-])(\d{3})$/.exec(value);
  if (dmtf) {
    const [, year, month, day, hours, minutes, seconds, micros, sign, offset] = dmtf;
    const utc = Date.UTC(
      Number(year),
      Number(month) - 1,
      Number(day),
      Number(hours),
      Number(minutes),
      Number(seconds),
      Math.floor(Number(micros) / 1000),
    );
    return utc - (sign === '-' ? -1 : 1) * Number(offset) * 60_000;
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

/**
 * Parses the JSON printed by {@link cimCommand} (one object or an array of
 * them). Windows has no process groups, sessions in the POSIX sense, or
 * process states: those fields are `-1`, `-1` and `'?'`. `startTicks` is
 * `CreationDate` in centiseconds since the Unix epoch.
 *
 * @param stdout - what PowerShell printed.
 * @returns one row per process.
 * @throws {ProcessIdentityError} `ERR_PROCESS_TABLE` when it is not JSON.
 */
export function parseCimProcesses(stdout: string): ProcessInfo[] {
  const text = stdout.replace(/^\uFEFF/, '').trim();
  if (text.length === 0) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ProcessIdentityError({
      code: 'ERR_PROCESS_TABLE',
      message: `PowerShell printed something that is not JSON: ${text.slice(0, 80)}`,
      cause: error,
    });
  }
  const items = Array.isArray(parsed) ? parsed : [parsed];
  const rows: ProcessInfo[] = [];
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue;
    const record = item as Record<string, unknown>;
    const pid = Number(record.ProcessId);
    const ppid = Number(record.ParentProcessId);
    if (!Number.isInteger(pid) || pid < 0 || !Number.isInteger(ppid)) continue;
    const startMs = parseCimDate(record.CreationDate);
    const commandLine = typeof record.CommandLine === 'string' ? record.CommandLine : '';
    rows.push({
      pid,
      ppid,
      pgid: -1,
      sid: -1,
      state: '?',
      comm: typeof record.Name === 'string' ? record.Name : '',
      startTicks: startMs === null ? 0 : Math.floor(startMs / 10),
      startTimeMs: startMs ?? 0,
      cmdline: splitWindowsCommandLine(commandLine),
    });
  }
  return rows;
}
