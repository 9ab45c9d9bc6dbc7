import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ProcessIdentityError } from './errors.js';
import { getHostFacts, type HostFacts } from './host-facts.js';
import { parseProcStat, splitNul } from './proc-stat.js';
import { type EnvironRead, readEnvironVariable } from './process-table.js';

/** The environment variable that marks every process of a run, inherited through `setsid` and double-fork. */
export const RUN_ID_ENV = 'RUNWARDEN_RUN_ID';

/**
 * zod schema of a {@link ProcessIdentity}, for lock and state files that
 * embed one.
 */
export const processIdentitySchema = z.object({
  pid: z.number().int().positive(),
  /** Clock ticks since boot (`/proc/<pid>/stat` field 22). */
  startTicks: z.number().int().nonnegative(),
  /** Unix ms, for people. */
  startTimeMs: z.number().nonnegative(),
  bootId: z.string(),
  machineId: z.string(),
  hostname: z.string(),
  /** Executable name (`comm`) at capture time. */
  comm: z.string().optional(),
  /** Run token: `RUNWARDEN_RUN_ID` from the environment, or a command-line substring. */
  token: z.string().min(1).optional(),
  tokenSource: z.enum(['env', 'cmdline']).optional(),
});

/**
 * Who a process is, beyond its pid: `(pid, startTicks, bootId, machineId)`
 * plus an optional run token. A pid alone is reused by the kernel; start ticks
 * alone collide when a pid is reused within one tick, so the token (read from
 * `/proc/<pid>/environ` or the command line) settles it.
 */
export type ProcessIdentity = z.infer<typeof processIdentitySchema>;

/** The answers of {@link verifyIdentity}. */
export type IdentityStatus = 'alive' | 'dead' | 'reused' | 'foreign-host' | 'unknown';

/** Result of {@link verifyIdentity}: a status and a short reason for people and logs. */
export interface IdentityVerdict {
  status: IdentityStatus;
  /** Machine-readable reason, e.g. `start-time-differs`, `zombie`, `boot-changed`, `environ-unreadable`. */
  reason: string;
}

/** Options for {@link captureIdentity}. */
export interface CaptureIdentityOptions {
  /**
   * A run token to record and check later. With `tokenSource: 'env'` it must be
   * the value of `RUNWARDEN_RUN_ID` in the process's environment; with
   * `'cmdline'` a substring of its command line (the LifeOS `runner_token`).
   * @default the process's own `RUNWARDEN_RUN_ID`, when it has one
   */
  token?: string;
  /** @default 'env' */
  tokenSource?: 'env' | 'cmdline';
}

/**
 * What was observed of a pid, in plain data, for {@link judgeIdentity}.
 * `stat` is `null` when the pid does not exist.
 */
export interface ObservedProcess {
  stat: { state: string; startTicks: number; comm: string } | null | { unreadable: string };
  /** The environment token read, when the identity has an `env` token. */
  environ?: EnvironRead;
  /** The command line, when the identity has a `cmdline` token. */
  cmdline?: string[];
}

/**
 * Decides the status of a recorded identity from plain facts: a pure function,
 * unit-tested as a truth table. The rules, in order:
 *
 * 1. another machine id → `foreign-host` (hostname only when a machine id is missing: a rename is the same machine);
 * 2. another boot id → `dead` (no process survives a reboot);
 * 3. no such pid → `dead`; `/proc` unreadable → `unknown`;
 * 4. zombie (`Z`) or dead (`X`) → `dead`;
 * 5. different start ticks or executable name → `reused`;
 * 6. token: environ unreadable or empty, or cmdline empty → `unknown` (never `reused`);
 *    token missing or different → `reused`;
 * 7. otherwise `alive`.
 */
export function judgeIdentity(
  identity: ProcessIdentity,
  observed: ObservedProcess,
  host: Pick<HostFacts, 'bootId' | 'machineId' | 'hostname'>,
): IdentityVerdict {
  if (identity.machineId && host.machineId) {
    if (identity.machineId !== host.machineId)
      return { status: 'foreign-host', reason: 'machine-id-differs' };
  } else if (identity.hostname !== host.hostname) {
    return { status: 'foreign-host', reason: 'hostname-differs' };
  }
  if (identity.bootId && host.bootId && identity.bootId !== host.bootId) {
    return { status: 'dead', reason: 'boot-changed' };
  }
  const stat = observed.stat;
  if (stat === null) return { status: 'dead', reason: 'no-such-process' };
  if ('unreadable' in stat)
    return { status: 'unknown', reason: `proc-unreadable:${stat.unreadable}` };
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x')
    return { status: 'dead', reason: 'zombie' };
  if (stat.startTicks !== identity.startTicks)
    return { status: 'reused', reason: 'start-time-differs' };
  if (identity.comm !== undefined && identity.comm !== stat.comm) {
    return { status: 'reused', reason: 'executable-differs' };
  }
  if (identity.token !== undefined) {
    if ((identity.tokenSource ?? 'env') === 'env') {
      const environ = observed.environ;
      if (!environ) return { status: 'unknown', reason: 'environ-not-read' };
      switch (environ.status) {
        case 'gone':
          return { status: 'dead', reason: 'no-such-process' };
        case 'unreadable':
          return { status: 'unknown', reason: `environ-unreadable:${environ.code}` };
        case 'empty':
          return { status: 'unknown', reason: 'environ-empty' };
        case 'absent':
          return { status: 'reused', reason: 'token-absent' };
        case 'found':
          if (environ.value !== identity.token)
            return { status: 'reused', reason: 'token-differs' };
      }
    } else {
      const cmdline = observed.cmdline ?? [];
      if (cmdline.length === 0) return { status: 'unknown', reason: 'cmdline-empty' };
      if (!cmdline.join(' ').includes(identity.token))
        return { status: 'reused', reason: 'token-not-in-cmdline' };
    }
  }
  return { status: 'alive', reason: 'identity-matches' };
}

function observe(identity: ProcessIdentity): ObservedProcess {
  let stat: ObservedProcess['stat'];
  try {
    const parsed = parseProcStat(readFileSync(`/proc/${identity.pid}/stat`, 'utf8'));
    stat = parsed
      ? { state: parsed.state, startTicks: parsed.startTicks, comm: parsed.comm }
      : null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    stat = code === 'ENOENT' || code === 'ESRCH' ? null : { unreadable: code };
  }
  const observed: ObservedProcess = { stat };
  if (identity.token !== undefined && stat !== null && !('unreadable' in stat)) {
    if ((identity.tokenSource ?? 'env') === 'env') {
      observed.environ = readEnvironVariable(identity.pid, RUN_ID_ENV);
    } else {
      try {
        observed.cmdline = splitNul(readFileSync(`/proc/${identity.pid}/cmdline`));
      } catch {
        observed.cmdline = [];
      }
    }
  }
  return observed;
}

/**
 * Records who pid N is now, so a later {@link verifyIdentity} can tell it from
 * a process that got the same pid after it died.
 *
 * @param pid - the process id; defaults to this process.
 * @returns the identity, or `null` when the pid does not exist.
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM` off Linux,
 *   `ERR_INVALID_PID` for a pid that is not a positive integer.
 */
export function captureIdentity(
  pid: number = process.pid,
  options: CaptureIdentityOptions = {},
): ProcessIdentity | null {
  if (process.platform !== 'linux') {
    throw new ProcessIdentityError(
      'ERR_UNSUPPORTED_PLATFORM',
      `captureIdentity needs /proc; ${process.platform} has none.`,
    );
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new ProcessIdentityError('ERR_INVALID_PID', `Invalid pid: ${String(pid)}`);
  }
  let line: string;
  try {
    line = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const stat = parseProcStat(line);
  if (!stat || stat.state === 'Z') return null;
  const host = getHostFacts();
  const identity: ProcessIdentity = {
    pid,
    startTicks: stat.startTicks,
    startTimeMs: Math.round(host.bootTimeMs + (stat.startTicks * 1000) / host.clockTicksPerSecond),
    bootId: host.bootId,
    machineId: host.machineId,
    hostname: host.hostname,
    comm: stat.comm,
  };
  const tokenSource = options.tokenSource ?? 'env';
  if (options.token !== undefined) {
    identity.token = options.token;
    identity.tokenSource = tokenSource;
  } else if (tokenSource === 'env') {
    const environ = readEnvironVariable(pid, RUN_ID_ENV);
    if (environ.status === 'found' && environ.value.length > 0) {
      identity.token = environ.value;
      identity.tokenSource = 'env';
    }
  }
  return identity;
}

/**
 * Is the process recorded in `identity` still the one running under its pid?
 *
 * `unknown` (no permission, empty environ or cmdline right after spawn,
 * unsupported platform) is never treated as dead: callers fail closed.
 * See {@link judgeIdentity} for the rules.
 */
export function verifyIdentity(identity: ProcessIdentity): IdentityVerdict {
  if (process.platform !== 'linux')
    return { status: 'unknown', reason: `unsupported-platform:${process.platform}` };
  const host = getHostFacts();
  const sameHost =
    identity.machineId && host.machineId
      ? identity.machineId === host.machineId
      : identity.hostname === host.hostname;
  if (!sameHost) return judgeIdentity(identity, { stat: null }, host);
  return judgeIdentity(identity, observe(identity), host);
}
