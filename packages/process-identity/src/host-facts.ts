import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Facts about this machine that tell whether a recorded process could still be
 * alive here: the boot id changes at every boot, the machine id survives
 * reboots and host renames (machine-id(5)).
 */
export interface HostFacts {
  /** `/proc/sys/kernel/random/boot_id`, or `''` when unavailable. */
  bootId: string;
  /** `/etc/machine-id` (or `/var/lib/dbus/machine-id`), or `''` when unavailable. */
  machineId: string;
  /** `os.hostname()`: for people; identity never depends on it. */
  hostname: string;
  /** Boot time in Unix ms (`btime` of `/proc/stat`, 1 s resolution). */
  bootTimeMs: number;
  /** Clock ticks per second used by `/proc/<pid>/stat` (`sysconf(_SC_CLK_TCK)`, 100 on Linux). */
  clockTicksPerSecond: number;
}

let cached: HostFacts | undefined;

function readTrimmed(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function readBootTimeMs(): number {
  try {
    const stat = readFileSync('/proc/stat', 'utf8');
    const match = /^btime (\d+)$/m.exec(stat);
    if (match) return Number(match[1]) * 1000;
  } catch {
    // not Linux: fall through
  }
  return 0;
}

/**
 * Reads this machine's {@link HostFacts} once and caches them (they cannot
 * change while this process lives, except the hostname, which is re-read).
 */
export function getHostFacts(): HostFacts {
  if (!cached) {
    cached = {
      bootId: readTrimmed('/proc/sys/kernel/random/boot_id'),
      machineId: readTrimmed('/etc/machine-id') || readTrimmed('/var/lib/dbus/machine-id'),
      hostname: hostname(),
      bootTimeMs: readBootTimeMs(),
      // The kernel's USER_HZ is 100 on every architecture Linux supports today;
      // reading sysconf would need a native binding or a child process.
      clockTicksPerSecond: 100,
    };
  }
  return { ...cached, hostname: hostname() };
}
