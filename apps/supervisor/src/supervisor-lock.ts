import { type LockHandle, LockHeldError, tryAcquire } from '@runwarden/lock-core';
import { readApiFile } from './api/client.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { SupervisorError } from './errors.js';
import type { StatePaths } from './state-paths.js';

/**
 * Takes `SUPERVISOR.lock` (lock-core): one supervisor per state directory. A
 * second supervisor is refused with the running one's pid, start time and
 * API URL, as `pm2` names its daemon.
 *
 * @param paths - the state paths.
 * @param configFile - the config file (the lock's repo marker).
 * @returns the lock's handle.
 * @throws {SupervisorError} `ERR_HELD` (exit 5) naming the running supervisor.
 * @throws {LockError} for a lock that cannot be read or written (corrupt, unsafe path).
 */
export async function takeSupervisorLock(
  paths: StatePaths,
  configFile: string,
): Promise<LockHandle> {
  try {
    return await tryAcquire(paths.supervisorLock, {
      runnerToken: 'runwarden-supervisor',
      repoMarker: configFile,
      staleAfterMs: SUPERVISOR_DEFAULTS.lockStaleAfterMs,
      abortOnLateHeartbeat: false,
    });
  } catch (error) {
    if (!LockHeldError.isInstance(error) || error.code !== 'ERR_LOCK_HELD') throw error;
    const pid = error.holder?.holder.pid;
    let url: string | undefined;
    try {
      url = readApiFile(paths)?.url;
    } catch {
      url = undefined; // an unusable api.json does not change who holds the lock
    }
    throw new SupervisorError({
      code: 'ERR_HELD',
      reason: 'LOCK_HELD',
      message: `Another supervisor (pid ${pid ?? '?'}, since ${error.holder?.acquiredAt ?? '?'}) runs on ${paths.stateDir}${url ? `; its API is ${url}` : ''}.`,
      hint: 'Use runwarden-supervisor status / stop, or give another stateDir.',
      data: { holderPid: pid, url, lockPath: paths.supervisorLock },
    });
  }
}
