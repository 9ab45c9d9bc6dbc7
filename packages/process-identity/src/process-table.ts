import { readdirSync } from 'node:fs';
import { cimCommand, parseCimProcesses } from './cim-table.js';
import { type CommandSpec, runCommand, runCommandSync } from './command.js';
import { ProcessIdentityError } from './errors.js';
import { getHostFacts, type HostFacts } from './host-facts.js';
import { readProcFile } from './proc-read.js';
import { readProcStat, splitNul } from './proc-stat.js';
import type { ProcessInfo } from './process-info.js';
import { parsePsTable, psCommand } from './ps-table.js';

export type { ProcessInfo } from './process-info.js';

/** Options for {@link listProcesses} and {@link getProcessInfoSync}. */
export interface ListProcessesOptions {
  /**
   * Read each process's command line too (Linux: one more read per process;
   * macOS and Windows always have it).
   * @default true
   */
  cmdline?: boolean;
}

/** The platforms that have a process-table reader. */
export type TablePlatform = 'linux' | 'darwin' | 'win32';

function platformOf(platform: NodeJS.Platform): TablePlatform {
  if (platform === 'linux' || platform === 'darwin' || platform === 'win32') return platform;
  throw new ProcessIdentityError({
    code: 'ERR_UNSUPPORTED_PLATFORM',
    message: `runwarden has no process-table reader for ${platform}.`,
    hint: 'Linux (/proc), macOS (ps) and Windows (PowerShell CIM) are supported.',
  });
}

function assertPid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new ProcessIdentityError({
      code: 'ERR_INVALID_PID',
      message: `Invalid pid: ${String(pid)}`,
    });
  }
}

/**
 * The command that reads the process table on macOS (one `ps` call) or
 * Windows (one PowerShell `Get-CimInstance Win32_Process` query), always an
 * absolute path with an argument array. Linux needs none: it reads `/proc`.
 *
 * @param platform - `darwin` or `win32`.
 * @param options - `pid`: read only this process.
 * @returns the command, or `null` on Linux.
 */
export function processTableCommand(
  platform: TablePlatform,
  options: { pid?: number } = {},
): CommandSpec | null {
  if (platform === 'darwin') return psCommand(options);
  if (platform === 'win32') return cimCommand(options);
  return null;
}

function parseTable(platform: 'darwin' | 'win32', stdout: string): ProcessInfo[] {
  return platform === 'darwin' ? parsePsTable(stdout) : parseCimProcesses(stdout);
}

function readCmdline(pid: number | string): string[] {
  try {
    return splitNul(readProcFile(`/proc/${pid}/cmdline`));
  } catch {
    return [];
  }
}

function readProcRow(
  pid: number | string,
  withCmdline: boolean,
  host: HostFacts = getHostFacts(),
): ProcessInfo | null {
  const stat = readProcStat(pid);
  if (!stat) return null;
  return {
    ...stat,
    startTimeMs: host.bootTimeMs + (stat.startTicks * 1000) / host.clockTicksPerSecond,
    cmdline: withCmdline ? readCmdline(pid) : [],
  };
}

/**
 * Reads one process synchronously: Linux from `/proc` (proc(5)), macOS with
 * `ps -p`, Windows with a CIM query filtered on the pid.
 *
 * @param pid - the process id.
 * @param options - `cmdline: false` skips the command line on Linux.
 * @returns the row, or `null` when no such process exists.
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM` on other systems,
 *   `ERR_INVALID_PID` for a pid that is not a positive integer,
 *   `ERR_PROCESS_TABLE` when `ps` or PowerShell fails.
 */
export function getProcessInfoSync(
  pid: number,
  options: ListProcessesOptions = {},
): ProcessInfo | null {
  const platform = platformOf(process.platform);
  assertPid(pid);
  if (platform === 'linux') return readProcRow(pid, options.cmdline !== false);
  const spec = processTableCommand(platform, { pid })!;
  const rows = parseTable(platform, runCommandSync(spec, { allowStatus: [1] }));
  return rows.find((row) => row.pid === pid) ?? null;
}

/**
 * Who is pid N right now? See {@link getProcessInfoSync}; on macOS and
 * Windows the child process does not block the event loop.
 *
 * @param pid - the process id.
 * @returns the row, or `null` when no such process exists.
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM`, `ERR_INVALID_PID`,
 *   `ERR_PROCESS_TABLE` as {@link getProcessInfoSync}.
 */
export async function getProcessInfo(pid: number): Promise<ProcessInfo | null> {
  const platform = platformOf(process.platform);
  assertPid(pid);
  if (platform === 'linux') return readProcRow(pid, true);
  const spec = processTableCommand(platform, { pid })!;
  const rows = parseTable(platform, await runCommand(spec, { allowStatus: [1] }));
  return rows.find((row) => row.pid === pid) ?? null;
}

function listProc(withCmdline: boolean): ProcessInfo[] {
  const host = getHostFacts();
  const rows: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    const code = name.charCodeAt(0);
    if (code < 48 || code > 57) continue;
    // A process that exits during the scan is left out.
    const row = readProcRow(name, withCmdline, host);
    if (row) rows.push(row);
  }
  return rows;
}

/**
 * One snapshot of the whole process table: Linux reads `/proc` in-process
 * (the work `ps -e` does, without starting it); macOS runs one `ps`, Windows
 * one PowerShell CIM query. Processes that exit during the scan are left out.
 *
 * @param options - `cmdline: false` skips command lines on Linux (faster).
 * @returns one row per process.
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM` on other systems,
 *   `ERR_PROCESS_TABLE` when `ps` or PowerShell fails.
 */
export function listProcessesSync(options: ListProcessesOptions = {}): ProcessInfo[] {
  const platform = platformOf(process.platform);
  if (platform === 'linux') return listProc(options.cmdline !== false);
  return parseTable(platform, runCommandSync(processTableCommand(platform)!));
}

/**
 * One snapshot of the whole process table (see {@link listProcessesSync}); on
 * macOS and Windows the child process does not block the event loop.
 *
 * @param options - `cmdline: false` skips command lines on Linux.
 * @returns one row per process.
 * @throws {ProcessIdentityError} as {@link listProcessesSync}.
 */
export async function listProcesses(options: ListProcessesOptions = {}): Promise<ProcessInfo[]> {
  const platform = platformOf(process.platform);
  if (platform === 'linux') return listProc(options.cmdline !== false);
  return parseTable(platform, await runCommand(processTableCommand(platform)!));
}

/**
 * Every descendant of `pid` in one snapshot, found by walking parent links
 * (breadth first; the root itself is not included). A row that started before
 * its recorded parent is skipped: its parent died and the pid was reused
 * (Windows keeps stale parent pids; Linux and macOS reparent orphans).
 *
 * @param pid - the root of the tree.
 * @param table - a snapshot to walk; a fresh one is read when omitted.
 * @returns the descendants, parents before children.
 * @throws {ProcessIdentityError} as {@link listProcessesSync} when it reads a table.
 */
export function descendantsOf(
  pid: number,
  table: ProcessInfo[] = listProcessesSync({ cmdline: false }),
): ProcessInfo[] {
  const byPid = new Map<number, ProcessInfo>();
  const children = new Map<number, ProcessInfo[]>();
  for (const row of table) {
    byPid.set(row.pid, row);
    const list = children.get(row.ppid);
    if (list) list.push(row);
    else children.set(row.ppid, [row]);
  }
  const found: ProcessInfo[] = [];
  const seen = new Set<number>([pid]);
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    const parent = byPid.get(next);
    for (const child of children.get(next) ?? []) {
      if (seen.has(child.pid)) continue;
      if (parent && child.startTicks < parent.startTicks) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** What {@link readEnvironVariable} found. */
export type EnvironRead =
  | { status: 'found'; value: string }
  | { status: 'absent' }
  | { status: 'empty' }
  | { status: 'unreadable'; code: string }
  | { status: 'gone' };

/**
 * Reads one variable from a process's initial environment,
 * `/proc/<pid>/environ` (proc(5)). Needs the same uid or CAP_SYS_PTRACE.
 * Linux only: elsewhere the answer is `unreadable` with code `ENOTSUP`.
 *
 * An environ that reads empty (kernel thread, zombie, or a process between
 * fork and exec) is reported as `empty`, so callers can fail closed.
 *
 * @param pid - the process.
 * @param name - the variable, e.g. `RUNWARDEN_RUN_ID`.
 * @returns what was found; never throws.
 */
export function readEnvironVariable(pid: number, name: string): EnvironRead {
  if (process.platform !== 'linux') return { status: 'unreadable', code: 'ENOTSUP' };
  let buffer: Buffer;
  try {
    buffer = readProcFile(`/proc/${pid}/environ`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT' || code === 'ESRCH') return { status: 'gone' };
    return { status: 'unreadable', code };
  }
  if (buffer.length === 0) return { status: 'empty' };
  // Search the bytes for `NAME=` at the start of an entry, without decoding the whole environment.
  const needle = Buffer.from(`${name}=`);
  for (let from = 0; ; ) {
    const at = buffer.indexOf(needle, from);
    if (at < 0) return { status: 'absent' };
    if (at === 0 || buffer[at - 1] === 0) {
      const end = buffer.indexOf(0, at);
      return {
        status: 'found',
        value: buffer.toString('utf8', at + needle.length, end < 0 ? buffer.length : end),
      };
    }
    from = at + 1;
  }
}
