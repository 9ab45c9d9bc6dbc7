import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { killTree } from '@runwarden/kill-tree';
import { LockError, type LockHandle, tryAcquire } from '@runwarden/lock-core';
import {
  findRunProcesses,
  readJournal,
  summarizeJournal,
  WATCHDOG_DEFAULTS,
} from '@runwarden/watchdog';
import { recoverLoop } from './adoption.js';
import type { SupervisorConfig } from './config.js';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { SupervisorError } from './errors.js';
import type { LoopStatus } from './loop.js';
import { readLoopState, type StatePaths, writeLoopState } from './state.js';

/** A loop's status read from the state files, with what lives on of its run. */
export type OfflineLoopStatus = LoopStatus & {
  /** Processes of its run still alive with no supervisor (a SIGKILLed supervisor's run). */
  orphanPids: number[];
};

/** The loops of a state directory: the config's, and any other with a directory under `loops/`. */
export function loopNames(config: SupervisorConfig, paths: StatePaths): string[] {
  const names = new Set(config.loops.map((loop) => loop.name));
  if (existsSync(paths.loopsDir))
    for (const name of readdirSync(paths.loopsDir))
      if (existsSync(paths.loopState(name))) names.add(name);
  return [...names].sort();
}

/**
 * A loop's status from its state files alone (`loop.json`, its lock, the
 * run's journal), for `status` when no supervisor runs.
 *
 * @param paths - the state paths.
 * @param name - the loop.
 * @returns the status.
 * @throws {SupervisorError} `ERR_STATE` for a corrupt `loop.json` (kept as it is).
 */
export function offlineStatus(paths: StatePaths, name: string): OfflineLoopStatus {
  const saved = readLoopState(paths.loopState(name));
  const runId = saved?.runId ?? null;
  const journal = runId ? join(paths.runDir(name, runId), 'journal.jsonl') : undefined;
  let summary: ReturnType<typeof summarizeJournal> | undefined;
  try {
    summary = journal ? summarizeJournal(readJournal(journal)) : undefined;
  } catch {
    summary = undefined;
  }
  const orphans =
    runId && summary?.state !== 'ended'
      ? findRunProcesses({ runId, journalPath: journal }).map((found) => found.pid)
      : [];
  const since = Date.now() - SUPERVISOR_DEFAULTS.giveUpWithinMs;
  return {
    name,
    state: saved?.state ?? 'stopped',
    pid: orphans.length > 0 ? (summary?.pid ?? null) : null,
    runId,
    attempt: summary?.attempt ?? 0,
    resumesUsed: summary?.resumes ?? 0,
    budgetSpent: summary?.budgetSpent ?? 0,
    restarts: (saved?.restarts ?? []).filter((at) => Date.parse(at) > since).length,
    lastReason: saved?.lastReason ?? null,
    lastMessage: saved?.lastMessage ?? null,
    lastProgressAt: summary?.lastProgressAt ?? null,
    runStartedAt: summary?.startedAt ?? null,
    nextStartAt: null,
    owner: null,
    lastOutputAt: null,
    missionDeadlineAt: null,
    orphanPids: orphans,
  };
}

/**
 * Stops loops with no supervisor running (after the supervisor was
 * SIGKILLed): holds `SUPERVISOR.lock` meanwhile, ends each loop's live run
 * (its tree, by run token and process group, with the loop's kill grace),
 * frees the loop's lock and records the loop `stopped`.
 *
 * @param options - the config, paths and the loops to stop.
 * @returns per loop, the pids ended.
 * @throws {SupervisorError} `ERR_HELD` when a supervisor started meanwhile.
 */
export async function stopOffline(options: {
  config: SupervisorConfig;
  paths: StatePaths;
  names: string[];
}): Promise<{ name: string; killed: number[]; survivors: number[] }[]> {
  const { paths } = options;
  let guard: LockHandle;
  try {
    guard = await tryAcquire(paths.supervisorLock, {
      runnerToken: 'runwarden-supervisor-stop',
      repoMarker: options.config.file,
    });
  } catch (error) {
    if (LockError.isInstance(error) && error.code === 'ERR_LOCK_HELD')
      throw new SupervisorError(
        'ERR_HELD',
        'LOCK_HELD',
        `A supervisor started on ${paths.stateDir} meanwhile; run the command again.`,
      );
    throw error;
  }
  const results: { name: string; killed: number[]; survivors: number[] }[] = [];
  try {
    for (const name of options.names) {
      const graceMs =
        options.config.loops.find((loop) => loop.name === name)?.run.killGraceMs ??
        WATCHDOG_DEFAULTS.killGraceMs;
      const recovery = recoverLoop(paths, name);
      let killed: number[] = [];
      let survivors: number[] = [];
      if (recovery.kind === 'adopt' || recovery.kind === 'orphans') {
        const result = await killTree(
          { token: recovery.runId },
          {
            graceMs,
            processGroups:
              recovery.kind === 'adopt'
                ? [{ pgid: recovery.pid, leaderStartTicks: recovery.startTicks }]
                : [],
            sessions:
              recovery.kind === 'adopt'
                ? [{ sid: recovery.pid, leaderStartTicks: recovery.startTicks }]
                : [],
          },
        );
        killed = result.killed;
        survivors = result.survivors.map((survivor) => survivor.pid);
      }
      if (recovery.kind !== 'held' && recovery.kind !== 'corrupt' && survivors.length === 0) {
        // The holder is dead and nothing of its run lives: the lock is stale; take it and free it.
        const lock = await tryAcquire(paths.loopLock(name), { orphansOf: () => [] }).catch(
          () => undefined,
        );
        await lock?.release();
      }
      const saved = readLoopState(paths.loopState(name));
      if (saved)
        writeLoopState(paths.loopState(name), {
          ...saved,
          state: 'stopped',
          lastReason: 'INTERRUPTED',
          lastMessage: 'stopped with no supervisor running (runwarden-supervisor stop)',
          nextStartAt: undefined,
        });
      results.push({ name, killed, survivors });
    }
  } finally {
    await guard.release();
  }
  return results;
}
