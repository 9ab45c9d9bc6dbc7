import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants, writeFileSync } from 'node:fs';

const LAST_PID = '/proc/sys/kernel/ns_last_pid';

/**
 * True when this process may choose the next pid: it runs as root and
 * `/proc/sys/kernel/ns_last_pid` is writable (proc(5)). Tests that force a
 * real pid reuse skip without it, saying so in their names.
 */
export const canSetLastPid: boolean = (() => {
  try {
    accessSync(LAST_PID, constants.W_OK);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

/**
 * Starts a process that the kernel gives exactly `pid`: writes `pid - 1` to
 * `/proc/sys/kernel/ns_last_pid` just before the fork (proc(5)). Other
 * processes on the machine fork too, so it retries (ending each miss) until
 * the pid really is `pid`.
 *
 * @param pid - the pid wanted.
 * @param spawnChild - starts the process (and registers it for clean-up).
 * @returns the child, or `null` after 50 misses.
 */
export async function spawnAtPid(
  pid: number,
  spawnChild: () => ChildProcess,
): Promise<ChildProcess | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    writeFileSync(LAST_PID, String(pid - 1));
    const child = spawnChild();
    if (child.pid === pid) return child;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
  return null;
}
