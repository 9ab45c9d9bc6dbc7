import { formatDuration } from '@runwarden/cli-kit';
import type { inspect } from '@runwarden/lock-core';
import { runIdInstant } from '@runwarden/watchdog';
import { CLI_DEFAULTS } from '../../defaults.js';
import { colors, printJson, say } from '../../output.js';
import { describeRun, newestRuns, type RunRow } from '../../run-index.js';
import { normalizedTarget } from '../../run-lock.js';
import { resolveStateDir, statePaths } from '../../state-dir.js';

/** Flags of `runwarden runs`, as parsed. */
export interface RunsFlags {
  /** `--limit`: how many runs (`0`: all). @default CLI_DEFAULTS.runsLimit */
  limit?: number;
  target?: string;
  stateDir?: string;
  json?: boolean;
}

/** `2026-11-26T12:00:00.123Z` → `2026-11-26 12:00:00Z`. */
const shortTime = (iso: string | undefined) =>
  iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z` : '-';

/**
 * Reads the newest runs, at most `limit` (`0`: all), of one target when `target` is given.
 *
 * @param stateDir - the state directory.
 * @param options.limit - how many.
 * @param options.target - only the runs of this (normalised) target.
 * @returns the rows, newest first.
 */
export function readRuns(stateDir: string, options: { limit: number; target?: string }): RunRow[] {
  const rows: RunRow[] = [];
  const lockCache = new Map<string, ReturnType<typeof inspect>>();
  const nowMs = Date.now();
  // Run ids sort by their start (`runIdInstant`: to the ms, or to the second
  // for ids made before the ms were added): past the limit, the runs of the
  // last such instant are read too, then all are ordered by their start (ms).
  for (const entry of newestRuns(stateDir)) {
    const full = options.limit > 0 && rows.length >= options.limit;
    if (full && runIdInstant(entry.runId) !== runIdInstant(rows.at(-1)!.runId)) break;
    let row: RunRow;
    try {
      row = describeRun(entry, { stateDir, nowMs, lockCache });
    } catch {
      continue; // its journal went away meanwhile
    }
    if (options.target !== undefined && row.target !== options.target) continue;
    rows.push(row);
  }
  rows.sort((a, b) =>
    a.startedAt !== b.startedAt
      ? (b.startedAt ?? '').localeCompare(a.startedAt ?? '')
      : b.runId.localeCompare(a.runId),
  );
  return options.limit > 0 ? rows.slice(0, options.limit) : rows;
}

/** Pads each column to its widest cell; the last column is left as it is. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * `runwarden runs` (alias `ls`): the runs under the state directory, newest
 * first, one line each (run id, target, started, duration, attempts, reason,
 * exit code), like `docker ps -a`; `--json` prints them as `runs: [...]`.
 *
 * @param flags - `--limit`, `--target`, `--state-dir`, `--json`.
 * @returns the exit code (0).
 * @throws {CliError} `USAGE` for a bad `--limit` or `--target`.
 */
export async function runsCommand(flags: RunsFlags): Promise<number> {
  const limit = flags.limit ?? CLI_DEFAULTS.runsLimit;
  const target = flags.target !== undefined ? normalizedTarget(flags.target) : undefined;
  const stateDir = resolveStateDir(flags.stateDir);
  const runs = readRuns(stateDir, { limit, ...(target !== undefined ? { target } : {}) });
  if (flags.json) {
    printJson('OK', { stateDir, limit, ...(target !== undefined ? { target } : {}), runs });
    return 0;
  }
  if (runs.length === 0) {
    say(
      `no runs${target !== undefined ? ` of ${target}` : ''} yet in ${statePaths(stateDir).runs}`,
    );
    return 0;
  }
  const lines = table([
    ['RUN ID', 'TARGET', 'STARTED', 'DURATION', 'ATTEMPTS', 'REASON', 'EXIT'],
    ...runs.map((run) => [
      run.runId,
      run.target ?? (run.loop ? `loop ${run.loop}` : '-'),
      shortTime(run.startedAt),
      run.durationMs !== undefined ? formatDuration(run.durationMs) : '-',
      String(run.attempts),
      run.state === 'ended' ? (run.reason ?? '-') : run.state,
      run.exitCode !== undefined ? String(run.exitCode) : '-',
    ]),
  ]);
  process.stdout.write(`${colors.dim(lines[0]!)}\n`);
  for (const [index, line] of lines.slice(1).entries()) {
    const run = runs[index]!;
    const paint =
      run.state === 'running'
        ? colors.cyan
        : run.state === 'unfinished'
          ? colors.yellow
          : run.reason === 'OK'
            ? (text: string) => text
            : colors.red;
    process.stdout.write(`${paint(line)}\n`);
  }
  return 0;
}
