import { join } from 'node:path';
import type { LockHandle } from '@runwarden/lock-core';
import type { JournalEvent, SuperviseOptions, WatchdogPulse } from '@runwarden/watchdog';
import type { LoopRecovery } from './adoption.js';
import type { LoopConfig } from './config.js';

/**
 * The watchdog options of one run of a loop: the loop's run settings, the
 * run's id, directory, lock and abort signal, and, for an adopted run, the
 * process to adopt with what is left of its mission clock.
 *
 * @param input - the loop's config, the run and its listeners.
 * @returns the options for `superviseRun`.
 */
export function runOptions(input: {
  config: LoopConfig;
  runId: string;
  runDir: string;
  lock: LockHandle;
  signal: AbortSignal;
  adopting: Extract<LoopRecovery, { kind: 'adopt' }> | undefined;
  onEvent: (event: JournalEvent) => void;
  onPulse: (pulse: WatchdogPulse) => void;
}): SuperviseOptions {
  const { config, runDir, adopting } = input;
  const mission = config.run.missionTimeoutMs ?? 0;
  return {
    ...config.run,
    runId: input.runId,
    runDir,
    lock: input.lock,
    signal: input.signal,
    // An adopted run keeps its mission clock: what is left of it.
    ...(adopting && mission > 0
      ? { missionTimeoutMs: Math.max(1, mission - (Date.now() - adopting.startedAtMs)) }
      : {}),
    ...(adopting
      ? {
          adopt: {
            pid: adopting.pid,
            startTicks: adopting.startTicks,
            outputFile: join(runDir, 'stdout.log'),
            stderrFile: join(runDir, 'stderr.log'),
            continueFrom: adopting.continueFrom,
          },
        }
      : {}),
    onEvent: input.onEvent,
    onPulse: input.onPulse,
  };
}
