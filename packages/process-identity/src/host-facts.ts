import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { powershellPath } from './cim-table.js';
import { type CommandSpec, runCommandSync } from './command.js';
import { readProcText } from './proc-read.js';

/**
 * Facts about this machine that tell whether a recorded process could still be
 * alive here: the boot id changes at every boot, the machine id survives
 * reboots and host renames (machine-id(5)).
 */
export interface HostFacts {
  /**
   * Changes at every boot: Linux `/proc/sys/kernel/random/boot_id`, macOS
   * `kern.bootsessionuuid`, Windows the last boot time; `''` when unavailable.
   */
  bootId: string;
  /**
   * Survives reboots and renames: Linux `/etc/machine-id` (or
   * `/var/lib/dbus/machine-id`), macOS `IOPlatformUUID`, Windows `MachineGuid`;
   * `''` when unavailable.
   */
  machineId: string;
  /** `os.hostname()`: for people; identity never depends on it when a machine id exists. */
  hostname: string;
  /** Boot time in Unix ms (Linux `btime` of `/proc/stat`, 1 s resolution); `0` when unknown. */
  bootTimeMs: number;
  /** Clock ticks per second of `startTicks` (`sysconf(_SC_CLK_TCK)`, 100 on Linux; 100 elsewhere by definition). */
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
    // no /proc/stat: fall through
  }
  return 0;
}

/** `sysctl -n kern.boottime kern.bootsessionuuid` on macOS (sysctl(8)). */
export const DARWIN_BOOT_COMMAND: CommandSpec = {
  file: '/usr/sbin/sysctl',
  args: ['-n', 'kern.boottime', 'kern.bootsessionuuid'],
  env: { LC_ALL: 'C' },
};

/** `ioreg -rd1 -c IOPlatformExpertDevice` on macOS: the hardware UUID. */
export const DARWIN_MACHINE_COMMAND: CommandSpec = {
  file: '/usr/sbin/ioreg',
  args: ['-rd1', '-c', 'IOPlatformExpertDevice'],
};

/**
 * Parses `sysctl -n kern.boottime kern.bootsessionuuid`: a line
 * `{ sec = 1732500000, usec = 5120 } Mon Nov 25 02:00:00 2024`, then the
 * session UUID.
 *
 * @param stdout - what sysctl printed.
 * @returns the boot time (Unix ms, `0` when missing) and the boot id (`''` when missing).
 */
export function parseDarwinBoot(stdout: string): { bootTimeMs: number; bootId: string } {
  const time = /\{\s*sec\s*=\s*(\d+),\s*usec\s*=\s*(\d+)\s*\}/.exec(stdout);
  const uuid =
    /^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$/m.exec(stdout);
  return {
    bootTimeMs: time ? Number(time[1]) * 1000 + Math.floor(Number(time[2]) / 1000) : 0,
    bootId: uuid ? uuid[1]!.toLowerCase() : '',
  };
}

/**
 * Reads `"IOPlatformUUID" = "…"` from `ioreg -rd1 -c IOPlatformExpertDevice`.
 *
 * @param stdout - what ioreg printed.
 * @returns the UUID in lower case, or `''`.
 */
export function parseIoregPlatformUuid(stdout: string): string {
  const match = /"IOPlatformUUID"\s*=\s*"([^"]+)"/.exec(stdout);
  return match ? match[1]!.toLowerCase() : '';
}

/**
 * The PowerShell call that reads Windows host facts: `LastBootUpTime` of
 * `Win32_OperatingSystem` and `MachineGuid` from
 * `HKLM:\SOFTWARE\Microsoft\Cryptography`, as one compact JSON object.
 *
 * @param env - where `SystemRoot` is read (defaults to `process.env`).
 * @returns the command to run.
 */
export function windowsHostCommand(env: NodeJS.ProcessEnv = process.env): CommandSpec {
  const script = [
    "$ProgressPreference = 'SilentlyContinue'",
    '$os = Get-CimInstance -ClassName Win32_OperatingSystem -Property LastBootUpTime',
    "$guid = (Get-ItemProperty -LiteralPath 'HKLM:\\SOFTWARE\\Microsoft\\Cryptography' -Name MachineGuid).MachineGuid",
    '[pscustomobject]@{ LastBootUpTime = $os.LastBootUpTime; MachineGuid = $guid } | ConvertTo-Json -Compress',
  ].join('\n');
  return {
    file: powershellPath(env),
    args: [
      '-NoLogo',
      '-NoProfile',
      '-NonInteractive',
      '-EncodedCommand',
      Buffer.from(script, 'utf16le').toString('base64'),
    ],
  };
}

function parseMsDate(value: unknown): number {
  if (typeof value === 'string') {
    const match = /^\/Date\((-?\d+)/.exec(value);
    if (match) return Number(match[1]);
    const parsed = Date.parse(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  if (typeof value === 'object' && value !== null && 'value' in value)
    return parseMsDate(value.value);
  return 0;
}

/**
 * Parses the JSON of {@link windowsHostCommand}. The boot id is the boot time
 * in ms (Windows has no boot UUID).
 *
 * @param stdout - what PowerShell printed.
 * @returns boot time, boot id and machine id (`0`/`''` when missing).
 */
export function parseWindowsHost(stdout: string): {
  bootTimeMs: number;
  bootId: string;
  machineId: string;
} {
  try {
    const parsed = JSON.parse(stdout.replace(/^\uFEFF/, '').trim()) as Record<string, unknown>;
    const bootTimeMs = parseMsDate(parsed.LastBootUpTime);
    return {
      bootTimeMs,
      bootId: bootTimeMs > 0 ? `boot-${bootTimeMs}` : '',
      machineId: typeof parsed.MachineGuid === 'string' ? parsed.MachineGuid.toLowerCase() : '',
    };
  } catch {
    return { bootTimeMs: 0, bootId: '', machineId: '' };
  }
}

function tryRun(spec: CommandSpec): string {
  try {
    return runCommandSync(spec);
  } catch {
    return '';
  }
}

function readFacts(): HostFacts {
  const base = { hostname: hostname(), clockTicksPerSecond: 100 };
  if (process.platform === 'darwin') {
    const boot = parseDarwinBoot(tryRun(DARWIN_BOOT_COMMAND));
    return { ...base, ...boot, machineId: parseIoregPlatformUuid(tryRun(DARWIN_MACHINE_COMMAND)) };
  }
  if (process.platform === 'win32')
    return { ...base, ...parseWindowsHost(tryRun(windowsHostCommand())) };
  return {
    ...base,
    bootId: readTrimmed('/proc/sys/kernel/random/boot_id'),
    machineId: readTrimmed('/etc/machine-id') || readTrimmed('/var/lib/dbus/machine-id'),
    bootTimeMs: readBootTimeMs(),
    // The kernel's USER_HZ is 100 on every architecture Linux supports today;
    // reading sysconf would need a native binding or a child process.
  };
}

/**
 * Reads this machine's {@link HostFacts} once and caches them (they cannot
 * change while this process lives, except the hostname, which is re-read).
 * Linux reads files; macOS runs `sysctl` and `ioreg` once, Windows PowerShell
 * once. A fact that cannot be read is `''` or `0`, never a guess.
 *
 * @returns the facts.
 */
export function getHostFacts(): HostFacts {
  if (!cached) cached = readFacts();
  return { ...cached, hostname: hostname() };
}

/**
 * "Now" in the unit of `startTicks` on this platform: Linux clock ticks since
 * boot from `/proc/uptime` (same clock and rounding as `/proc/<pid>/stat`),
 * elsewhere centiseconds since the Unix epoch. A process seen alive at a tick
 * later than its start tick cannot be confused with a later process that gets
 * its pid: that one starts at a later tick.
 *
 * @returns the current tick.
 */
export function currentTicks(): number {
  if (process.platform === 'linux') {
    try {
      const uptime = readProcText('/proc/uptime');
      const match = /^(\d+)\.(\d{2})/.exec(uptime);
      if (match) return Number(match[1]) * 100 + Number(match[2]);
    } catch {
      // fall through to the wall clock
    }
  }
  return Math.floor(Date.now() / 10);
}
