import { existsSync, readFileSync } from 'node:fs';

const hasProc = existsSync('/proc/self/stat');

/**
 * True while `pid` is a process that has not ended: on Linux its
 * `/proc/<pid>/stat` exists and its state is not `Z` (zombie) or `X` (dead),
 * proc(5); elsewhere `kill(pid, 0)` succeeds (a zombie counts as alive there).
 * Independent of `@runwarden/process-identity`, so that package's tests can use it.
 *
 * @param pid - the process.
 * @returns whether it is alive.
 */
export function alive(pid: number): boolean {
  if (hasProc) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
