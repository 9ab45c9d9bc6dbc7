import { readProcText } from './proc-read.js';

/**
 * The fields runwarden reads from `/proc/<pid>/stat`, see proc_pid_stat(5).
 */
export interface ProcStat {
  /** Process id (field 1). */
  pid: number;
  /** Executable name, at most 15 bytes, as the kernel keeps it (`comm`). */
  comm: string;
  /** One-letter state: R running, S sleeping, D disk sleep, Z zombie, T stopped, t traced, X dead, I idle. */
  state: string;
  /** Parent pid (field 4). */
  ppid: number;
  /** Process group id (field 5). */
  pgid: number;
  /** Session id (field 6). */
  sid: number;
  /** Start time in clock ticks since boot (field 22, `starttime`). */
  startTicks: number;
}

/**
 * Parses one `/proc/<pid>/stat` line. `comm` may hold spaces and parentheses,
 * so the fields are split after the last `)` (proc_pid_stat(5)).
 *
 * @param line - the content of `/proc/<pid>/stat`.
 * @returns the parsed fields, or `null` when the line is not a stat line.
 */
export function parseProcStat(line: string): ProcStat | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number.parseInt(line.slice(0, open), 10);
  const rest = line.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  if (rest.length < 20 || !Number.isInteger(pid)) return null;
  const state = rest[0]!;
  const ppid = Number(rest[1]);
  const pgid = Number(rest[2]);
  const sid = Number(rest[3]);
  const startTicks = Number(rest[19]);
  if (![ppid, pgid, sid, startTicks].every(Number.isFinite)) return null;
  return { pid, comm: line.slice(open + 1, close), state, ppid, pgid, sid, startTicks };
}

/**
 * Splits a NUL-separated `/proc/<pid>/cmdline` or `environ` buffer.
 *
 * @param buffer - the bytes (or their text).
 * @returns the entries, without the empty one after the final NUL; `[]` for an empty buffer.
 */
export function splitNul(buffer: Buffer | string): string[] {
  const text = typeof buffer === 'string' ? buffer : buffer.toString('utf8');
  if (text.length === 0) return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * Reads and parses `/proc/<pid>/stat` (one open, one read: no child process).
 *
 * @param pid - the process.
 * @returns its fields, or `null` when it is gone, unreadable, or not a stat line.
 */
export function readProcStat(pid: number | string): ProcStat | null {
  let line: string;
  try {
    line = readProcText(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  return parseProcStat(line);
}
