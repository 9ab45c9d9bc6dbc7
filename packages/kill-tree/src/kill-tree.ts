import {
  getProcessInfoSync,
  type IdentityVerdict,
  type ProcessIdentity,
  verifyIdentity,
} from '@runwarden/process-identity';
import { KILL_TREE_DEFAULTS } from './defaults.js';
import { KillTreeError } from './errors.js';
import { defaultPosixSystem, killPosixTree } from './posix-kill.js';
import type { KillTreeOptions, KillTreeResult, TokenTarget } from './types.js';
import { defaultWindowsSystem, killWindowsTree } from './windows-kill.js';

function checkDuration(name: string, value: number | undefined, fallback: number): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved < 0) {
    throw new KillTreeError({
      code: 'ERR_INVALID_OPTION',
      message: `${name} must be a non-negative number of ms, not ${String(value)}.`,
    });
  }
  return resolved;
}

/** Refuses an identity that is not the process it names any more (exit 6 upstream) or cannot be checked. */
function assertIdentity(target: ProcessIdentity, verdict: IdentityVerdict): void {
  if (verdict.status === 'reused' || verdict.status === 'foreign-host') {
    throw new KillTreeError({
      code: 'ERR_IDENTITY_MISMATCH',
      message: `Refusing to signal pid ${target.pid}: it is no longer the recorded process (${verdict.reason}).`,
      verdict,
      hint: 'The process you meant has ended; nothing was signalled.',
    });
  }
  if (verdict.status === 'unknown') {
    throw new KillTreeError({
      code: 'ERR_IDENTITY_UNKNOWN',
      message: `Cannot verify pid ${target.pid} (${verdict.reason}); refusing to signal it.`,
      verdict,
      hint: 'Run as the same user as the process, or as root.',
    });
  }
}

/**
 * Ends a whole process tree, gracefully then by force, never signalling a
 * stranger and never leaving an orphan silently, and reports what happened to
 * every process: found in one snapshot, frozen while it is signalled, every
 * survivor re-verified before the forced signal; on Windows `taskkill /T`,
 * then `/F` (the README says how, step by step). Follows systemd's `KillMode=control-group` with
 * `TimeoutStopSec=` (systemd.kill(5)).
 *
 * @param target - a pid, an identity captured when the process was started
 *   (verified first: a reused pid is refused and nothing is signalled), or
 *   `{token}` for every process carrying the run token (Linux).
 * @param options - signals, grace period (ms), the run token, process groups.
 * @returns the report; `ok` is false when something of the tree is still alive.
 * @throws {KillTreeError} `ERR_IDENTITY_MISMATCH` when the identity's pid now
 *   belongs to another process (or another host), `ERR_IDENTITY_UNKNOWN` when it
 *   cannot be verified (fail closed), `ERR_INVALID_TARGET` for a bad pid or
 *   token, `ERR_INVALID_OPTION` for a negative or non-numeric duration,
 *   `ERR_UNSUPPORTED_PLATFORM` on a platform without a reader or for a token
 *   target where environments cannot be read.
 */
export async function killTree(
  target: number | ProcessIdentity | TokenTarget,
  options: KillTreeOptions = {},
): Promise<KillTreeResult> {
  const platform = process.platform;
  if (platform !== 'linux' && platform !== 'darwin' && platform !== 'win32') {
    throw new KillTreeError({
      code: 'ERR_UNSUPPORTED_PLATFORM',
      message: `killTree has no process reader for ${platform}.`,
    });
  }
  const resolved = {
    signal: options.signal ?? KILL_TREE_DEFAULTS.signal,
    forceSignal: options.forceSignal ?? KILL_TREE_DEFAULTS.forceSignal,
    graceMs: checkDuration('graceMs', options.graceMs, KILL_TREE_DEFAULTS.graceMs),
    forceWaitMs: checkDuration('forceWaitMs', options.forceWaitMs, KILL_TREE_DEFAULTS.forceWaitMs),
    pollMs: Math.max(1, checkDuration('pollMs', options.pollMs, KILL_TREE_DEFAULTS.pollMs)),
    freeze: options.freeze ?? KILL_TREE_DEFAULTS.freeze,
  };

  let root: { pid: number; startTicks: number } | undefined;
  let token = options.token;
  if (typeof target === 'object' && !('pid' in target)) {
    if (typeof target.token !== 'string' || target.token.length === 0) {
      throw new KillTreeError({
        code: 'ERR_INVALID_TARGET',
        message: 'A token target needs a non-empty token.',
      });
    }
    token = target.token;
  } else if (typeof target === 'number') {
    if (!Number.isInteger(target) || target <= 0) {
      throw new KillTreeError({
        code: 'ERR_INVALID_TARGET',
        message: `Invalid pid: ${String(target)}`,
      });
    }
    const info = getProcessInfoSync(target, { cmdline: false });
    if (info && info.state !== 'Z' && info.state !== 'X')
      root = { pid: target, startTicks: info.startTicks };
  } else {
    if (!Number.isInteger(target.pid) || target.pid <= 0) {
      throw new KillTreeError({
        code: 'ERR_INVALID_TARGET',
        message: `Invalid pid: ${String(target.pid)}`,
      });
    }
    // Windows cannot read another process's environment: judge it without the env token.
    const checked =
      platform === 'win32' && (target.tokenSource ?? 'env') === 'env'
        ? { ...target, token: undefined, tokenSource: undefined }
        : target;
    const verdict = verifyIdentity(checked);
    assertIdentity(target, verdict);
    if (verdict.status === 'alive') root = { pid: target.pid, startTicks: target.startTicks };
    if (token === undefined && (target.tokenSource ?? 'env') === 'env') token = target.token;
  }

  if (platform === 'win32') {
    if (root === undefined && typeof target === 'object' && !('pid' in target)) {
      throw new KillTreeError({
        code: 'ERR_UNSUPPORTED_PLATFORM',
        message: 'A token target needs to read process environments, which Windows does not allow.',
        hint: 'Kill by pid or by a captured identity on Windows.',
      });
    }
    return killWindowsTree(root, resolved, defaultWindowsSystem());
  }
  if (platform === 'darwin' && root === undefined && token !== undefined) {
    throw new KillTreeError({
      code: 'ERR_UNSUPPORTED_PLATFORM',
      message:
        'A token target needs /proc/<pid>/environ (Linux); macOS does not show other environments.',
      hint: 'Kill by pid or by a captured identity on macOS.',
    });
  }
  const processGroups = new Map<number, number | undefined>(
    (options.processGroups ?? []).map((group) =>
      typeof group === 'number' ? [group, undefined] : [group.pgid, group.leaderStartTicks],
    ),
  );
  const sessions = new Map<number, number | undefined>(
    (options.sessions ?? []).map((session) =>
      typeof session === 'number' ? [session, undefined] : [session.sid, session.leaderStartTicks],
    ),
  );
  return killPosixTree(
    { root, token, processGroups, sessions },
    resolved,
    defaultPosixSystem(platform),
  );
}
