import { inspect } from '@runwarden/lock-core';
import { CliError, usage } from '../../errors.js';
import { describeRun, findRun, newestRuns, type RunEntry, type RunRow } from '../../run-index.js';
import { runLockPath } from '../../run-lock.js';
import { statePaths } from '../../state-dir.js';

/** `<runId> (<reason or state>)` for a list of runs in a message. */
function nameRuns(stateDir: string, entries: RunEntry[]): string {
  return entries
    .map((entry) => {
      let row: RunRow | undefined;
      try {
        row = describeRun(entry, { stateDir });
      } catch {
        row = undefined;
      }
      const state = row ? (row.state === 'ended' ? row.reason : row.state) : undefined;
      return `${entry.runId}${row?.target ? ` ${row.target}` : ''}${state ? ` (${state})` : ''}`;
    })
    .join(', ');
}

/** Whether a run ran on `target` (a run whose journal went away meanwhile did not). */
function ofTarget(stateDir: string, entry: RunEntry, target: string): boolean {
  try {
    return describeRun(entry, { stateDir }).target === target;
  } catch {
    return false;
  }
}

/**
 * Which run to show: the argument (an id, or a prefix naming one run), else
 * the live run of the lock (`--target`'s, or the state directory's), else the
 * latest run (of the target, with `--target`).
 *
 * @param stateDir - the state directory.
 * @param runIdArgument - the run id (or a prefix) given, if any.
 * @param target - the normalised `--target`, if any.
 * @returns the run.
 * @throws {CliError} `USAGE` for an id that names no run (with the nearest ones), or no runs at all.
 */
export function resolveRun(
  stateDir: string,
  runIdArgument: string | undefined,
  target: string | undefined,
): RunEntry {
  const paths = statePaths(stateDir);
  if (runIdArgument !== undefined) {
    const found = /^[\w.-]+$/.test(runIdArgument)
      ? findRun(stateDir, runIdArgument)
      : { nearest: [] };
    if ('found' in found) return found.found;
    if ('ambiguous' in found)
      throw new CliError({
        reason: 'USAGE',
        message: `run id ${runIdArgument} names ${found.ambiguous.length} runs: ${nameRuns(stateDir, found.ambiguous)}`,
        hint: 'Give more of the id.',
        data: { runs: found.ambiguous.map((entry) => entry.runId) },
      });
    const nearest = 'nearest' in found ? found.nearest : [];
    throw new CliError({
      reason: 'USAGE',
      message: `no run ${runIdArgument} in ${paths.runs}${nearest.length ? `; the nearest: ${nameRuns(stateDir, nearest)}` : ''}`,
      hint: nearest.length ? '`runwarden runs` lists them all.' : undefined,
      data: { nearest: nearest.map((entry) => entry.runId) },
    });
  }
  const holder = inspect(runLockPath(stateDir, target)).holder?.runId;
  let latest: RunEntry | undefined;
  for (const entry of newestRuns(stateDir)) {
    if (entry.runId === holder) return entry; // the live run
    if (latest || (target !== undefined && !ofTarget(stateDir, entry, target))) continue;
    latest = entry;
    if (holder === undefined) break;
  }
  if (!latest)
    throw usage(`no runs${target !== undefined ? ` of ${target}` : ''} yet in ${paths.runs}`);
  return latest;
}
