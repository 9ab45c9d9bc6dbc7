import { readdirSync, readFileSync } from 'node:fs';
import { ProcessIdentityError } from './errors.js';
import { getHostFacts } from './host-facts.js';
import { parseProcStat, splitNul } from './proc-stat.js';

/**
 * One row of the process table.
 *
 * On Linux every field comes from `/proc/<pid>/stat` and `/proc/<pid>/cmdline`
 * (proc(5)); no child process is started.
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Process group id (setpgid(2)). */
  pgid: number;
  /** Session id (setsid(2)). */
  sid: number;
  /** One-letter kernel state; `Z` is a zombie, `X` dead. */
  state: string;
  /** Short executable name (`comm`, at most 15 bytes). */
  comm: string;
  /** Start time in clock ticks since boot: immune to wall-clock steps. */
  startTicks: number;
  /** Start time as Unix ms, for people (boot time + ticks; ~1 s accuracy). */
  startTimeMs: number;
  /**
   * Command line as argv. Empty for kernel threads, zombies, and a process
   * caught between fork and exec; empty when not requested.
   */
  cmdline: string[];
}

/** Options for {@link listProcesses}. */
export interface ListProcessesOptions {
  /**
   * Read each process's command line too (one more read per process).
   * @default true
   */
  cmdline?: boolean;
}

function assertLinux(): void {
  if (process.platform !== 'linux') {
    throw new ProcessIdentityError(
      'ERR_UNSUPPORTED_PLATFORM',
      `The process table is read from /proc, which ${process.platform} does not have.`,
      { hint: 'runwarden supports Linux today; macOS and Windows readers are planned.' },
    );
  }
}

function assertPid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new ProcessIdentityError('ERR_INVALID_PID', `Invalid pid: ${String(pid)}`);
  }
}

function readCmdline(pid: number): string[] {
  try {
    return splitNul(readFileSync(`/proc/${pid}/cmdline`));
  } catch {
    return [];
  }
}

/**
 * Reads one process synchronously from `/proc` (Linux only).
 *
 * @param pid - the process id.
 * @param options - `cmdline: false` skips the command line.
 * @returns the row, or `null` when no such process exists.
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM` off Linux,
 *   `ERR_INVALID_PID` for a pid that is not a positive integer.
 */
export function getProcessInfoSync(
  pid: number,
  options: ListProcessesOptions = {},
): ProcessInfo | null {
  assertLinux();
  assertPid(pid);
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const stat = parseProcStat(line);
  if (!stat) return null;
  const host = getHostFacts();
  return {
    ...stat,
    startTimeMs: host.bootTimeMs + (stat.startTicks * 1000) / host.clockTicksPerSecond,
    cmdline: options.cmdline === false ? [] : readCmdline(pid),
  };
}

/**
 * Who is pid N right now? Reads `/proc/<pid>/stat` and `cmdline` (proc(5)).
 *
 * @param pid - the process id.
 * @returns the row, or `null` when no such process exists.
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM` off Linux,
 *   `ERR_INVALID_PID` for a pid that is not a positive integer.
 */
export async function getProcessInfo(pid: number): Promise<ProcessInfo | null> {
  return getProcessInfoSync(pid);
}

/**
 * One snapshot of the whole process table, read in-process from `/proc`
 * (the work `ps -e` does, without starting it). Processes that exit during the
 * scan are left out.
 *
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM` off Linux.
 */
export function listProcessesSync(options: ListProcessesOptions = {}): ProcessInfo[] {
  assertLinux();
  const host = getHostFacts();
  const rows: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    const code = name.charCodeAt(0);
    if (code < 48 || code > 57) continue;
    const pid = Number(name);
    let line: string;
    try {
      line = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const stat = parseProcStat(line);
    if (!stat) continue;
    rows.push({
      ...stat,
      startTimeMs: host.bootTimeMs + (stat.startTicks * 1000) / host.clockTicksPerSecond,
      cmdline: options.cmdline === false ? [] : readCmdline(pid),
    });
  }
  return rows;
}

/**
 * One snapshot of the whole process table (see {@link listProcessesSync}).
 *
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM` off Linux.
 */
export async function listProcesses(options: ListProcessesOptions = {}): Promise<ProcessInfo[]> {
  return listProcessesSync(options);
}

/**
 * Every descendant of `pid` in one snapshot, found by walking parent links
 * (breadth first; the root itself is not included).
 *
 * @param pid - the root of the tree.
 * @param table - a snapshot to walk; a fresh one is read when omitted.
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM` off Linux.
 */
export function descendantsOf(
  pid: number,
  table: ProcessInfo[] = listProcessesSync({ cmdline: false }),
): ProcessInfo[] {
  const children = new Map<number, ProcessInfo[]>();
  for (const row of table) {
    const list = children.get(row.ppid);
    if (list) list.push(row);
    else children.set(row.ppid, [row]);
  }
  const found: ProcessInfo[] = [];
  const seen = new Set<number>([pid]);
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const child of children.get(next) ?? []) {
      if (seen.has(child.pid)) continue;
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
 *
 * An environ that reads empty (kernel thread, zombie, or a process between
 * fork and exec) is reported as `empty`, so callers can fail closed.
 */
export function readEnvironVariable(pid: number, name: string): EnvironRead {
  let buffer: Buffer;
  try {
    buffer = readFileSync(`/proc/${pid}/environ`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    if (code === 'ENOENT' || code === 'ESRCH') return { status: 'gone' };
    return { status: 'unreadable', code };
  }
  if (buffer.length === 0) return { status: 'empty' };
  const prefix = `${name}=`;
  for (const entry of splitNul(buffer)) {
    if (entry.startsWith(prefix)) return { status: 'found', value: entry.slice(prefix.length) };
  }
  return { status: 'absent' };
}
