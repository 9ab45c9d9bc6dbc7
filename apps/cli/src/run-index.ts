import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from '@runwarden/lock-core';
import { type JournalEvent, readJournal, summarizeJournal } from '@runwarden/watchdog';
import { runLockPath } from './run-lock.js';

/** One run directory under a state directory. */
export interface RunEntry {
  runId: string;
  /** `<stateDir>/runs/<runId>`, or `<stateDir>/loops/<loop>/runs/<runId>` for a supervisor loop's run. */
  runDir: string;
  /** The supervisor loop the run belongs to, if any. */
  loop?: string;
}

/** A run as `runwarden runs` lists it, folded from its journal. */
export interface RunRow extends RunEntry {
  /** `running` (its holder is alive), `ended`, or `unfinished` (no end recorded, nobody runs it). */
  state: 'running' | 'ended' | 'unfinished';
  /** The target of `runwarden run --target`, from the `started` event's labels. */
  target?: string;
  command?: string[];
  startedAt?: string;
  endedAt?: string;
  /** Wall time so far (running) or in all (ended), in ms. */
  durationMs?: number;
  attempts: number;
  resumes: number;
  reason?: string;
  exitCode?: number;
  message?: string;
}

const isRunName = (name: string) => /^[\w.-]+$/.test(name);

/** The names of the run directories (real directories; a symlink is never followed) under `dir`. */
function runNamesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && isRunName(entry.name))
    .map((entry) => entry.name);
}

/**
 * Every run under a state directory, newest first, one at a time: `runs/*`
 * and the supervisor's `loops/<name>/runs/*`, each a real directory with a
 * journal. Run ids sort by their start time, to the ms (`newRunId`; to the
 * second for ids made before the ms were added). The directories are read
 * once; each run's path is made and its journal checked only when that run is
 * reached, so a caller that wants the newest run does not stat thousands of
 * old ones.
 *
 * @param stateDir - the state directory.
 * @returns the runs, newest first.
 */
export function* newestRuns(stateDir: string): Generator<RunEntry, void, undefined> {
  const found: Array<{ runId: string; dir: string; loop?: string }> = [];
  const runs = join(stateDir, 'runs');
  for (const runId of runNamesIn(runs)) found.push({ runId, dir: runs });
  const loops = join(stateDir, 'loops');
  if (existsSync(loops)) {
    for (const loop of readdirSync(loops, { withFileTypes: true })) {
      if (!loop.isDirectory() || !isRunName(loop.name)) continue;
      const dir = join(loops, loop.name, 'runs');
      for (const runId of runNamesIn(dir)) found.push({ runId, dir, loop: loop.name });
    }
  }
  found.sort((a, b) => (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
  for (const { runId, dir, loop } of found) {
    const runDir = join(dir, runId);
    if (existsSync(join(runDir, 'journal.jsonl')))
      yield { runId, runDir, ...(loop ? { loop } : {}) };
  }
}

/**
 * Every run under a state directory, newest first, as {@link newestRuns}
 * gives them, in one array.
 *
 * @param stateDir - the state directory.
 * @returns the runs, newest first.
 */
export function listRuns(stateDir: string): RunEntry[] {
  return [...newestRuns(stateDir)];
}

/**
 * The lock a run ran under: its loop's, its target's, or the state directory's.
 *
 * @param stateDir - the state directory.
 * @param entry - the run.
 * @param target - its target (the `started` event's `labels.target`); read from the journal when not given.
 * @returns the lock's path.
 */
export function lockPathOfRun(stateDir: string, entry: RunEntry, target?: string): string {
  if (entry.loop) return join(stateDir, 'loops', entry.loop, 'RUN.lock');
  let key = target;
  if (key === undefined) {
    try {
      key = targetOf(readJournal(join(entry.runDir, 'journal.jsonl')));
    } catch {
      key = undefined;
    }
  }
  return runLockPath(stateDir, key);
}

/**
 * The target a run's `started` event names in its labels (`runwarden run --target`).
 *
 * @param events - the run's journal.
 * @returns the normalised target key, or undefined for a run without one.
 */
export function targetOf(events: readonly JournalEvent[]): string | undefined {
  const labels = events.find((event) => event.type === 'started')?.labels;
  const target = (labels as Record<string, unknown> | undefined)?.target;
  return typeof target === 'string' ? target : undefined;
}

/**
 * Reads one run's journal into a row. A run without an `ended` event is
 * `running` when the lock it ran under names it and its holder is alive,
 * else `unfinished`.
 *
 * @param entry - the run.
 * @param options.stateDir - the state directory (for the run's lock).
 * @param options.nowMs - now, Unix ms (the duration of a live run). @default Date.now()
 * @returns the row.
 */
export function describeRun(
  entry: RunEntry,
  options: {
    stateDir: string;
    nowMs?: number;
    lockCache?: Map<string, ReturnType<typeof inspect>>;
  },
): RunRow {
  const events = readJournal(join(entry.runDir, 'journal.jsonl'));
  const summary = summarizeJournal(events);
  const target = targetOf(events);
  const row: RunRow = {
    ...entry,
    state: summary.state === 'ended' ? 'ended' : 'unfinished',
    ...(target ? { target } : {}),
    ...(summary.command ? { command: summary.command } : {}),
    ...(summary.startedAt ? { startedAt: summary.startedAt } : {}),
    attempts: summary.attempt,
    resumes: summary.resumes,
  };
  if (summary.state === 'ended') {
    row.endedAt = summary.endedAt;
    row.reason = summary.reason;
    row.exitCode = summary.exitCode;
    row.message = summary.message;
    const ended = events.at(-1);
    if (typeof ended?.durationMs === 'number') row.durationMs = ended.durationMs;
  } else {
    const lockPath = lockPathOfRun(options.stateDir, entry, target);
    const cache = options.lockCache ?? new Map();
    let inspection = cache.get(lockPath);
    if (!inspection) {
      inspection = inspect(lockPath);
      cache.set(lockPath, inspection);
    }
    if (inspection.holder?.runId === entry.runId && inspection.holderVerdict?.status === 'alive') {
      row.state = 'running';
      if (summary.startedAt)
        row.durationMs = Math.max(0, (options.nowMs ?? Date.now()) - Date.parse(summary.startedAt));
    }
  }
  return row;
}

/**
 * The runs nearest to an id that names none: those whose ids sort closest to
 * it (run ids sort by start time, so a mistyped suffix finds the runs of that
 * second, and a date finds the runs around it).
 *
 * @param runIds - every run id, in any order.
 * @param wanted - the id asked for.
 * @param count - how many to return. @default 5
 * @returns up to `count` ids, newest first.
 */
export function nearestRunIds(runIds: readonly string[], wanted: string, count = 5): string[] {
  const sorted = [...runIds].sort();
  let index = sorted.findIndex((runId) => runId >= wanted);
  if (index < 0) index = sorted.length;
  const picked: string[] = [];
  let before = index - 1;
  let after = index;
  while (picked.length < count && (before >= 0 || after < sorted.length)) {
    // Alternate around the insertion point, the later one first.
    if (after < sorted.length) picked.push(sorted[after++]!);
    if (picked.length < count && before >= 0) picked.push(sorted[before--]!);
  }
  return picked.sort().reverse();
}

/** What {@link findRun} found for an id. */
export type FoundRun = { found: RunEntry } | { ambiguous: RunEntry[] } | { nearest: RunEntry[] };

/**
 * Finds a run by id, or by a prefix that names exactly one run (as `git` and
 * `docker` take a short id).
 *
 * @param stateDir - the state directory.
 * @param wanted - the id or prefix.
 * @returns the run, the runs a prefix matches, or the nearest runs ({@link nearestRunIds}).
 */
export function findRun(stateDir: string, wanted: string): FoundRun {
  const runs = listRuns(stateDir);
  const exact = runs.find((entry) => entry.runId === wanted);
  if (exact) return { found: exact };
  const prefixed = runs.filter((entry) => entry.runId.startsWith(wanted));
  if (prefixed.length === 1) return { found: prefixed[0]! };
  if (prefixed.length > 1) return { ambiguous: prefixed.slice(0, 10) };
  const nearest = new Set(
    nearestRunIds(
      runs.map((entry) => entry.runId),
      wanted,
    ),
  );
  return { nearest: runs.filter((entry) => nearest.has(entry.runId)) };
}

/** A run that holds a target's own lock (`runwarden run --target`) now. */
export interface LiveTargetRun {
  target: string;
  runId: string;
  holderPid: number;
  lockPath: string;
}

/** Every `RUN.lock` under `dir`, at most `depth` directories down; symlinks are never followed. */
function lockFilesUnder(dir: string, depth: number): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile() && entry.name === 'RUN.lock') found.push(path);
    else if (entry.isDirectory()) found.push(...lockFilesUnder(path, depth - 1));
  }
  return found;
}

/**
 * The runs that hold a target's lock (`<stateDir>/targets/…/RUN.lock`) with
 * a live holder, each named by the target its journal gives.
 *
 * @param stateDir - the state directory.
 * @returns the live target runs, by target.
 */
export function liveTargetRuns(stateDir: string): LiveTargetRun[] {
  const runs: LiveTargetRun[] = [];
  // targets/<owner>/<repo>/pr-<N>/RUN.lock or targets/other/<key>/RUN.lock
  for (const lockPath of lockFilesUnder(join(stateDir, 'targets'), 3)) {
    const inspection = inspect(lockPath);
    const holder = inspection.holder;
    if (inspection.holderVerdict?.status !== 'alive' || !holder?.runId) continue;
    let target: string | undefined;
    try {
      target = targetOf(readJournal(join(stateDir, 'runs', holder.runId, 'journal.jsonl')));
    } catch {
      target = undefined;
    }
    runs.push({
      target: target ?? lockPath,
      runId: holder.runId,
      holderPid: holder.holder.pid,
      lockPath,
    });
  }
  return runs.sort((a, b) => a.target.localeCompare(b.target));
}
