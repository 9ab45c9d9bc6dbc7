import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { FileTail, readJournal } from '@runwarden/watchdog';
import { connect } from '../api/client.js';
import { loadConfig } from '../config.js';
import { SUPERVISOR_DEFAULTS } from '../defaults.js';
import { SupervisorError } from '../errors.js';
import { readLoopState } from '../loop-state.js';
import { loopNames } from '../offline.js';
import { colors, printJson } from '../output.js';
import { readStateTail } from '../state-files.js';
import { type StatePaths, statePaths } from '../state-paths.js';

/** Flags of `logs`. */
export interface LogsFlags {
  config?: string;
  lines?: string;
  follow?: boolean;
  json?: boolean;
}

/** The last `count` lines of a file (its last `logsTailBytes` at most), read by the safe-fs rule. */
function lastLines(path: string, count: number): string[] {
  if (count <= 0) return [];
  const lines = (readStateTail(path, SUPERVISOR_DEFAULTS.logsTailBytes) ?? '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}

/** The loop's current run: `loop.json`'s, else its latest run directory. */
function currentRun(paths: StatePaths, loop: string): string | undefined {
  const saved = readLoopState(paths.loopState(loop));
  if (saved?.runId && existsSync(paths.runDir(loop, saved.runId))) return saved.runId;
  const runs = existsSync(paths.runsDir(loop)) ? readdirSync(paths.runsDir(loop)).sort() : [];
  return runs.at(-1);
}

function runEnded(paths: StatePaths, loop: string, runId: string): boolean {
  try {
    return readJournal(join(paths.runDir(loop, runId), 'journal.jsonl')).some(
      (event) => event.type === 'ended',
    );
  } catch {
    return true;
  }
}

/**
 * `logs LOOP [-f]`: the last lines of the loop's current run (stdout to
 * stdout, stderr to stderr); `-f` follows them, and the loop's next runs,
 * until the loop is stopped, fatal or done, or Ctrl-C.
 *
 * @param loop - the loop.
 * @param flags - `--config`, `-n`, `-f`, `--json`.
 * @returns the exit code.
 * @throws {SupervisorError} `USAGE` for an unknown loop or bad flags.
 */
export async function logsCommand(loop: string, flags: LogsFlags): Promise<number> {
  const count = Number(flags.lines ?? SUPERVISOR_DEFAULTS.logsLines);
  if (!Number.isInteger(count) || count < 0)
    throw new SupervisorError({
      code: 'ERR_CONFIG',
      reason: 'USAGE',
      message: `--lines: '${flags.lines}' is not a non-negative integer`,
    });
  if (flags.json && flags.follow)
    throw new SupervisorError({
      code: 'ERR_CONFIG',
      reason: 'USAGE',
      message: '--json: cannot be combined with --follow',
    });
  const config = loadConfig(flags.config);
  const paths = statePaths(config.stateDir);
  const names = loopNames(config, paths);
  if (!names.includes(loop))
    throw new SupervisorError({
      code: 'ERR_UNKNOWN_LOOP',
      reason: 'USAGE',
      message: `No loop named ${loop} (loops: ${names.join(', ')}).`,
    });
  let runId = currentRun(paths, loop);
  const streams = ['stdout', 'stderr'] as const;
  const out = (stream: 'stdout' | 'stderr') =>
    stream === 'stdout' ? process.stdout : process.stderr;
  const fileOf = (run: string, stream: string) => join(paths.runDir(loop, run), `${stream}.log`);
  if (flags.json) {
    printJson('OK', {
      loop,
      runId: runId ?? null,
      lines: Object.fromEntries(
        streams.map((stream) => [stream, runId ? lastLines(fileOf(runId, stream), count) : []]),
      ),
    });
    return 0;
  }
  if (runId)
    for (const stream of streams) {
      const lines = lastLines(fileOf(runId, stream), count);
      if (lines.length) out(stream).write(`${lines.join('\n')}\n`);
    }
  if (!flags.follow) return 0;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  const follow = (run: string, fromStart: boolean) =>
    streams.map(
      (stream) =>
        new FileTail(fileOf(run, stream), stream, {
          create: false,
          ...(fromStart ? { startOffset: 0 } : {}),
        }),
    );
  let tails = runId ? follow(runId, false) : [];
  try {
    while (!interrupted) {
      await delay(SUPERVISOR_DEFAULTS.logsFollowPollMs);
      for (const tail of tails) tail.read((chunk) => out(tail.stream).write(chunk));
      const latest = currentRun(paths, loop);
      if (latest && latest !== runId) {
        for (const tail of tails) tail.close();
        runId = latest;
        process.stderr.write(`${colors.dim(`runwarden-supervisor ▸ ${loop}: run ${runId}`)}\n`);
        tails = follow(runId, true);
        continue;
      }
      const state = readLoopState(paths.loopState(loop))?.state;
      const settled = state === 'stopped' || state === 'fatal' || state === 'done';
      if ((settled || !connect(paths)) && (!runId || runEnded(paths, loop, runId))) break;
    }
    for (const tail of tails) tail.read((chunk) => out(tail.stream).write(chunk));
  } finally {
    for (const tail of tails) tail.close();
    process.off('SIGINT', onSignal);
  }
  return 0;
}
