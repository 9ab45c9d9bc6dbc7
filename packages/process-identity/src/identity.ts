import { readlinkSync } from 'node:fs';
import * as z from 'zod/mini';
import { ProcessIdentityError } from './errors.js';
import { getHostFacts, type HostFacts } from './host-facts.js';
import { readProcFile, readProcText } from './proc-read.js';
import { parseProcStat, readProcStat, splitNul } from './proc-stat.js';
import { type EnvironRead, getProcessInfoSync, readEnvironVariable } from './process-table.js';

/** The environment variable that marks every process of a run, inherited through `setsid` and double-fork. */
export const RUN_ID_ENV = 'RUNWARDEN_RUN_ID';

/**
 * zod schema of a {@link ProcessIdentity}, for lock and state files that
 * embed one: a zod/mini schema: parse with `.parse`/`.safeParse`; compose with
 * `z.extend` from 'zod/mini' (`z.extend(processIdentitySchema, {...})`). Its
 * issues say only `Invalid input` unless the parse or the app gives a locale
 * (`schema.safeParse(value, { error: en().localeError })`, with `en` from
 * 'zod/v4/locales/en.js').
 */
export const processIdentitySchema = z.object({
  pid: z.number().check(z.int(), z.positive()),
  /**
   * Start time as the platform keeps it: Linux clock ticks since boot
   * (`/proc/<pid>/stat` field 22); macOS and Windows centiseconds since the
   * Unix epoch. See `ProcessInfo.startTicks`.
   */
  startTicks: z.number().check(z.int(), z.nonnegative()),
  /** Unix ms, for people. */
  startTimeMs: z.number().check(z.nonnegative()),
  bootId: z.string(),
  machineId: z.string(),
  hostname: z.string(),
  /** Executable name (`comm`) at capture time (Linux and Windows; not recorded on macOS). */
  comm: z.optional(z.string()),
  /**
   * The executable's path at capture time (Linux: `readlink /proc/<pid>/exe`,
   * without a ` (deleted)` suffix). Unlike `comm`, a process cannot rename it:
   * `process.title`, `prctl(PR_SET_NAME)` and Node.js 24 naming its main thread
   * `MainThread` all change `comm` but not this.
   */
  exe: z.optional(z.string()),
  /** Run token: `RUNWARDEN_RUN_ID` from the environment, or a command-line substring. */
  token: z.optional(z.string().check(z.minLength(1))),
  tokenSource: z.optional(z.enum(['env', 'cmdline'])),
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
  /**
   * Machine-readable reason: `identity-matches`, `machine-id-differs`,
   * `hostname-differs`, `boot-changed`, `no-such-process`, `zombie`,
   * `proc-unreadable:<errno>`, `start-time-differs`, `executable-differs`,
   * `token-absent`, `token-differs`, `token-not-in-cmdline`,
   * `environ-unreadable:<errno>`, `environ-empty`, `environ-not-read`,
   * `cmdline-empty`, `unsupported-platform:<platform>`.
   */
  reason: string;
}

/** Options for {@link captureIdentity}. */
export interface CaptureIdentityOptions {
  /**
   * A run token to record and check later. With `tokenSource: 'env'` it must be
   * the value of `RUNWARDEN_RUN_ID` in the process's environment; with
   * `'cmdline'` a substring of its command line (the LifeOS `runner_token`).
   * @default the process's own `RUNWARDEN_RUN_ID` (Linux), when it has one
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
  /** State, start ticks and executable name now; `null` when gone; `{unreadable: errno}` when it could not be read. */
  stat: { state: string; startTicks: number; comm: string } | null | { unreadable: string };
  /** The environment token read, when the identity has an `env` token. */
  environ?: EnvironRead;
  /** The command line, when the identity has a `cmdline` token. */
  cmdline?: string[];
  /** The executable's path now, when the identity has one; `null` when unreadable. */
  exe?: string | null;
}

/** True when a command line reads empty: no argv, or only empty strings (`execve` with `argc == 0` reads as one NUL). */
function isEmptyCmdline(cmdline: string[]): boolean {
  return cmdline.every((argument) => argument.length === 0);
}

/**
 * Decides the status of a recorded identity from plain facts: a pure function,
 * unit-tested as a truth table. The rules, in order:
 *
 * 1. another machine id → `foreign-host` (hostname only when a machine id is missing: a rename is the same machine);
 * 2. another boot id → `dead` (no process survives a reboot);
 * 3. no such pid → `dead`; `/proc` unreadable → `unknown`;
 * 4. zombie (`Z`) or dead (`X`) → `dead`;
 * 5. different start ticks → `reused`;
 * 6. with a token, the token decides: environ unreadable or empty, or a
 *    command line that reads empty (right after spawn, mid-exec) → `unknown`,
 *    never `reused`; token missing or different → `reused`; token present →
 *    `alive`, even when the executable changed (the process ran `exec`);
 * 7. without a token, a different executable path at the same start tick →
 *    `reused` (a pid reused within one tick; the issue this package exists for);
 *    the same path with another `comm` is a rename (`process.title`, Node.js 24's
 *    `MainThread`) → `alive`; a path that cannot be read while `comm` differs →
 *    `unknown`; an identity recorded without a path falls back to `comm`;
 * 8. otherwise `alive`.
 *
 * @param identity - what was recorded.
 * @param observed - what is there now.
 * @param host - this machine's facts.
 * @returns the verdict.
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
      if (isEmptyCmdline(cmdline)) return { status: 'unknown', reason: 'cmdline-empty' };
      if (!cmdline.join(' ').includes(identity.token))
        return { status: 'reused', reason: 'token-not-in-cmdline' };
    }
    return { status: 'alive', reason: 'identity-matches' };
  }
  if (identity.exe !== undefined) {
    if (observed.exe === undefined || observed.exe === null) {
      if (identity.comm !== undefined && identity.comm !== stat.comm)
        return { status: 'unknown', reason: 'executable-unreadable' };
    } else if (observed.exe !== identity.exe) {
      return { status: 'reused', reason: 'executable-differs' };
    }
    return { status: 'alive', reason: 'identity-matches' };
  }
  if (identity.comm !== undefined && identity.comm !== stat.comm) {
    return { status: 'reused', reason: 'executable-differs' };
  }
  return { status: 'alive', reason: 'identity-matches' };
}

/** `readlink /proc/<pid>/exe` without the ` (deleted)` a replaced binary gets; `null` when unreadable. */
function readExe(pid: number): string | null {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return null;
  }
}

function observeLinux(identity: ProcessIdentity): ObservedProcess {
  let stat: ObservedProcess['stat'];
  try {
    const parsed = parseProcStat(readProcText(`/proc/${identity.pid}/stat`));
    stat = parsed
      ? { state: parsed.state, startTicks: parsed.startTicks, comm: parsed.comm }
      : null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    stat = code === 'ENOENT' || code === 'ESRCH' ? null : { unreadable: code };
  }
  const observed: ObservedProcess = { stat };
  if (
    identity.exe !== undefined &&
    identity.token === undefined &&
    stat !== null &&
    !('unreadable' in stat)
  ) {
    observed.exe = readExe(identity.pid);
  }
  if (identity.token !== undefined && stat !== null && !('unreadable' in stat)) {
    if ((identity.tokenSource ?? 'env') === 'env') {
      observed.environ = readEnvironVariable(identity.pid, RUN_ID_ENV);
    } else {
      try {
        observed.cmdline = splitNul(readProcFile(`/proc/${identity.pid}/cmdline`));
      } catch {
        observed.cmdline = [];
      }
    }
  }
  return observed;
}

function observeTable(identity: ProcessIdentity): ObservedProcess {
  let info: ReturnType<typeof getProcessInfoSync>;
  try {
    info = getProcessInfoSync(identity.pid);
  } catch (error) {
    return { stat: { unreadable: (error as { code?: string }).code ?? 'ERR_PROCESS_TABLE' } };
  }
  if (!info) return { stat: null };
  return {
    stat: { state: info.state, startTicks: info.startTicks, comm: info.comm },
    environ: readEnvironVariable(identity.pid, RUN_ID_ENV),
    cmdline: info.cmdline,
  };
}

const SUPPORTED = new Set<NodeJS.Platform>(['linux', 'darwin', 'win32']);

/**
 * Records who pid N is now, so a later {@link verifyIdentity} can tell it from
 * a process that got the same pid after it died. Linux reads `/proc` (and
 * `RUNWARDEN_RUN_ID` from the environment); macOS runs `ps -p`, Windows one
 * CIM query (neither can read another process's environment, so only an
 * explicit token is recorded there).
 *
 * @param pid - the process id; this process when omitted.
 * @param options - the run token to record, if any.
 * @returns the identity, or `null` when the pid does not exist or is a zombie.
 * @throws {ProcessIdentityError} `ERR_UNSUPPORTED_PLATFORM` on other systems,
 *   `ERR_INVALID_PID` for a pid that is not a positive integer,
 *   `ERR_PROCESS_TABLE` when `ps` or PowerShell fails.
 */
export function captureIdentity(
  pid: number = process.pid,
  options: CaptureIdentityOptions = {},
): ProcessIdentity | null {
  if (!SUPPORTED.has(process.platform)) {
    throw new ProcessIdentityError({
      code: 'ERR_UNSUPPORTED_PLATFORM',
      message: `captureIdentity has no process reader for ${process.platform}.`,
    });
  }
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new ProcessIdentityError({
      code: 'ERR_INVALID_PID',
      message: `Invalid pid: ${String(pid)}`,
    });
  }
  const host = getHostFacts();
  let identity: ProcessIdentity;
  if (process.platform === 'linux') {
    const stat = readProcStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return null;
    identity = {
      pid,
      startTicks: stat.startTicks,
      startTimeMs: Math.round(
        host.bootTimeMs + (stat.startTicks * 1000) / host.clockTicksPerSecond,
      ),
      bootId: host.bootId,
      machineId: host.machineId,
      hostname: host.hostname,
      comm: stat.comm,
    };
    const exe = readExe(pid);
    if (exe !== null) identity.exe = exe;
  } else {
    const info = getProcessInfoSync(pid);
    if (!info || info.state === 'Z') return null;
    identity = {
      pid,
      startTicks: info.startTicks,
      startTimeMs: Math.round(info.startTimeMs),
      bootId: host.bootId,
      machineId: host.machineId,
      hostname: host.hostname,
    };
    // macOS reports argv[0], which a process may rewrite; the Windows image name is fixed.
    if (process.platform === 'win32' && info.comm) identity.comm = info.comm;
  }
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
 * `unknown` (no permission, empty environ or cmdline right after spawn, an
 * environment token on a platform that cannot read environments, unsupported
 * platform) is never treated as dead: callers fail closed. See
 * {@link judgeIdentity} for the rules. Never throws.
 *
 * @param identity - what {@link captureIdentity} recorded.
 * @returns the verdict.
 */
export function verifyIdentity(identity: ProcessIdentity): IdentityVerdict {
  if (!SUPPORTED.has(process.platform))
    return { status: 'unknown', reason: `unsupported-platform:${process.platform}` };
  const host = getHostFacts();
  const sameHost =
    identity.machineId && host.machineId
      ? identity.machineId === host.machineId
      : identity.hostname === host.hostname;
  if (!sameHost) return judgeIdentity(identity, { stat: null }, host);
  const observed = process.platform === 'linux' ? observeLinux(identity) : observeTable(identity);
  return judgeIdentity(identity, observed, host);
}
