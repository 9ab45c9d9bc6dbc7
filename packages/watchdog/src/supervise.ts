import { type LockHandle, tryAcquire } from '@runwarden/lock-core';
import type { SuperviseOptions } from './options.js';
import { validateOptions } from './options-schema.js';
import { resolveAdoptTarget } from './run/adopt-target.js';
import { announceRun } from './run/announce-run.js';
import { runAttempts } from './run/attempt-loop.js';
import { finishRun } from './run/finish.js';
import { RunContext } from './run/run-context.js';
import { newRunId } from './run/run-id.js';
import { startServices } from './run/start-services.js';
import { listenForStops } from './run/stop.js';
import type { RunResult } from './run-result.js';

/**
 * Runs a command under the watchdog until it completes, or a limit ends it
 * (the README's "What it does" says how). Modelled on systemd's
 * `Restart=on-failure` with `RuntimeMaxSec=` and `WatchdogSec=`
 * (systemd.service(5)) and supervisord's log handling.
 *
 * @param options - what to run and how to watch it.
 * @returns the result; the child's failures are results, never errors.
 * @throws {WatchdogError} `ERR_INVALID_OPTION` for a bad option (before anything starts),
 *   `ERR_ADOPT_NOT_FOUND` when the process to adopt is gone, `ERR_UNSAFE_PATH` for a symlinked run directory.
 * @throws {LockHeldError} when `lock` is a path another live run holds (nothing is written then).
 * @throws {LockCorruptError} when `lock` is a path to a corrupt lock file (it is kept as it is).
 */
export async function superviseRun(options: SuperviseOptions): Promise<RunResult> {
  validateOptions(options);
  const adopted = resolveAdoptTarget(options.adopt);
  let lock: LockHandle | undefined;
  let ownLock = false;
  if (options.lock) {
    if ('release' in options.lock && typeof options.lock.release === 'function') {
      lock = options.lock as LockHandle;
    } else {
      const { path, ...lockOptions } = options.lock as { path: string };
      const runId = options.runId ?? newRunId((options.now ?? Date.now)());
      options = { ...options, runId };
      lock = await tryAcquire(path, { runId, ...lockOptions });
      ownLock = true;
    }
  }
  try {
    const context = new RunContext(options, adopted, lock);
    announceRun(context);
    const stopListening = listenForStops({
      stop: context.stop,
      signal: options.signal,
      lock,
      emit: (type, data, reason) => context.emit(type, data, reason),
    });
    const { limits, missionTimeoutMs } = context.settings;
    if (missionTimeoutMs > 0)
      context.stop.armDeadline(limits.missionDeadlineMs, context.clock.monotonicNow);
    try {
      const end = (await startServices(context)) ?? (await runAttempts(context));
      return await finishRun(context, end);
    } finally {
      stopListening();
    }
  } finally {
    if (ownLock) await lock?.release().catch(() => undefined);
  }
}
