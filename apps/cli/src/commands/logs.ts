import { closeSync, existsSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from '@runwarden/lock-core';
import { openRegularFile, StatePathError } from '@runwarden/safe-fs';
import { type JournalEvent, parseJournal, readJournal } from '@runwarden/watchdog';
import { parseCount } from '../durations.js';
import { CliError, usage } from '../errors.js';
import { printJson } from '../output.js';
import {
  describeRun,
  findRun,
  listRuns,
  lockPathOfRun,
  type RunEntry,
  type RunRow,
} from '../run-index.js';
import { normalizedTarget, runLockPath } from '../run-lock.js';
import { resolveStateDir, statePaths } from '../state-dir.js';
import { storyLine } from './story.js';

/** Flags of `runwarden logs`. */
export interface LogsFlags {
  lines?: string;
  follow?: boolean;
  stream?: string;
  journal?: boolean;
  target?: string;
  stateDir?: string;
  json?: boolean;
}

type StreamName = 'stdout' | 'stderr';
const BLOCK = 65_536;
const FOLLOW_POLL_MS = 200;
const LIVENESS_POLL_MS = 1000;

/**
 * The last `count` lines of a log and its rotated files (`stdout.log`, then
 * `stdout.log.1`, …), read backwards in blocks so a 50 MB log costs a few reads.
 *
 * @param path - the live log.
 * @param count - how many lines.
 * @returns the lines, oldest first, without their `\n`.
 */
export function tailLines(path: string, count: number): string[] {
  if (count <= 0) return [];
  const files = [path];
  for (let index = 1; existsSync(`${path}.${index}`); index++) files.push(`${path}.${index}`);
  const pieces: Buffer[] = [];
  let newlines = 0;
  for (const file of files) {
    const opened = openLog(file);
    if (!opened) continue;
    const { fd } = opened;
    try {
      let position = opened.stat.size;
      while (position > 0 && newlines <= count) {
        const length = Math.min(BLOCK, position);
        position -= length;
        const block = Buffer.alloc(length);
        readSync(fd, block, 0, length, position);
        pieces.unshift(block);
        for (const byte of block) if (byte === 10) newlines++;
      }
    } finally {
      closeSync(fd);
    }
    if (newlines > count) break;
  }
  const lines = Buffer.concat(pieces).toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}

/**
 * Opens a log of a run without blocking or following a symlink (a FIFO put
 * there would hang `runwarden logs`).
 *
 * @throws {CliError} `INVALID_STATE` (exit 7) when it is not a regular file.
 */
function openLog(path: string): ReturnType<typeof openRegularFile> {
  try {
    return openRegularFile(path);
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    throw new CliError('INVALID_STATE', `Log ${error.message}`, `Move ${path} aside.`, { path });
  }
}

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

/**
 * Which run to show: the argument (an id, or a prefix naming one run), else
 * the live run of the lock (`--target`'s, or the state directory's), else the
 * latest run (of the target, with `--target`).
 *
 * @throws {CliError} `USAGE` for an id that names no run (with the nearest ones), or no runs at all.
 */
function resolveRun(
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
      throw new CliError(
        'USAGE',
        `run id ${runIdArgument} names ${found.ambiguous.length} runs: ${nameRuns(stateDir, found.ambiguous)}`,
        'Give more of the id.',
        { runs: found.ambiguous.map((entry) => entry.runId) },
      );
    const nearest = 'nearest' in found ? found.nearest : [];
    throw new CliError(
      'USAGE',
      `no run ${runIdArgument} in ${paths.runs}${nearest.length ? `; the nearest: ${nameRuns(stateDir, nearest)}` : ''}`,
      nearest.length ? '`runwarden runs` lists them all.' : undefined,
      { nearest: nearest.map((entry) => entry.runId) },
    );
  }
  const runs = listRuns(stateDir);
  const holder = inspect(runLockPath(stateDir, target)).holder?.runId;
  const live = holder ? runs.find((entry) => entry.runId === holder) : undefined;
  if (live) return live;
  const latest =
    target === undefined
      ? runs[0]
      : runs.find((entry) => {
          try {
            return describeRun(entry, { stateDir }).target === target;
          } catch {
            return false;
          }
        });
  if (!latest)
    throw usage(`no runs${target !== undefined ? ` of ${target}` : ''} yet in ${paths.runs}`);
  return latest;
}

/** Follows one file like `tail -F`: new bytes, across a rotation (the old file's rest first). */
class FileFollower {
  private ino: number | undefined;
  private offset: number;

  constructor(
    private readonly path: string,
    private readonly onBytes: (chunk: Buffer) => void,
  ) {
    const stat = existsSync(path) ? statSync(path) : undefined;
    this.ino = stat?.ino;
    this.offset = stat?.size ?? 0;
  }

  private readFrom(path: string, from: number): number {
    let fd: number;
    try {
      const opened = openRegularFile(path);
      if (!opened) return from;
      fd = opened.fd;
    } catch {
      return from;
    }
    try {
      let position = from;
      for (;;) {
        const block = Buffer.alloc(BLOCK);
        const read = readSync(fd, block, 0, BLOCK, position);
        if (read <= 0) break;
        this.onBytes(block.subarray(0, read));
        position += read;
      }
      return position;
    } finally {
      closeSync(fd);
    }
  }

  poll(): void {
    const stat = existsSync(this.path) ? statSync(this.path) : undefined;
    if (!stat) return;
    if (this.ino !== undefined && stat.ino !== this.ino) {
      // Rotated: finish the old file (now `.1`) from where we were, then start the new one.
      const rotated = `${this.path}.1`;
      if (existsSync(rotated) && statSync(rotated).ino === this.ino)
        this.readFrom(rotated, this.offset);
      this.offset = 0;
    } else if (stat.size < this.offset) {
      this.offset = 0;
    }
    this.ino = stat.ino;
    this.offset = this.readFrom(this.path, this.offset);
  }
}

/**
 * `runwarden logs [runId]`: the last lines of a run's stdout/stderr (stdout to
 * stdout, stderr to stderr, rotated files included) or, with `--journal`, its
 * story; `--follow` keeps printing (across log rotation, like `tail -F`) until
 * the journal says the run ended, or its holder is gone.
 *
 * @param runIdArgument - the run; default the live one, else the latest.
 * @param flags - the flags.
 * @returns the exit code.
 * @throws {CliError} `USAGE` for bad flags or an unknown run.
 */
export async function logsCommand(
  runIdArgument: string | undefined,
  flags: LogsFlags,
): Promise<number> {
  const count = parseCount('--lines', flags.lines ?? '20');
  const stream = flags.stream ?? 'all';
  if (!['stdout', 'stderr', 'all'].includes(stream))
    throw usage(`--stream: '${stream}' is not stdout, stderr or all`);
  if (flags.json && flags.follow) throw usage('--json: cannot be combined with --follow');
  const stateDir = resolveStateDir(flags.stateDir);
  const target = flags.target !== undefined ? normalizedTarget(flags.target) : undefined;
  const run = resolveRun(stateDir, runIdArgument, target);
  const { runId, runDir } = run;
  const lockPath = lockPathOfRun(stateDir, run);
  const journalPath = join(runDir, 'journal.jsonl');
  const streams: StreamName[] = stream === 'all' ? ['stdout', 'stderr'] : [stream as StreamName];
  const events = existsSync(journalPath) ? readJournal(journalPath) : [];
  const maxResumes = Number(events.find((event) => event.type === 'started')?.maxResumes ?? 20);
  const story = (event: JournalEvent) => storyLine(event, { maxResumes });

  if (flags.json) {
    if (flags.journal) printJson('OK', { runId, runDir, events: events.slice(-count) });
    else
      printJson('OK', {
        runId,
        runDir,
        lines: Object.fromEntries(
          streams.map((name) => [name, tailLines(join(runDir, `${name}.log`), count)]),
        ),
      });
    return 0;
  }

  const out = (name: StreamName) => (name === 'stdout' ? process.stdout : process.stderr);
  const printEvent = (event: JournalEvent) => {
    const line = story(event);
    if (line !== undefined) process.stdout.write(`${event.ts} ${line}\n`);
    if (event.type === 'ended')
      process.stdout.write(`${event.ts} ended ${event.reason}: ${String(event.message)}\n`);
  };
  if (flags.journal) for (const event of events.slice(-count)) printEvent(event);
  else
    for (const name of streams) {
      const lines = tailLines(join(runDir, `${name}.log`), count);
      if (lines.length) out(name).write(`${lines.join('\n')}\n`);
    }
  if (!flags.follow || events.some((event) => event.type === 'ended')) return 0;

  // Follow: new output (or journal lines) until the run ends.
  let journalText = '';
  let ended = false;
  const journalFollower = new FileFollower(journalPath, (chunk) => {
    journalText += chunk.toString('utf8');
    const complete = journalText.lastIndexOf('\n');
    if (complete < 0) return;
    for (const event of parseJournal(journalText.slice(0, complete))) {
      if (flags.journal) printEvent(event);
      if (event.type === 'ended') ended = true;
    }
    journalText = journalText.slice(complete + 1);
  });
  const followers = flags.journal
    ? []
    : streams.map(
        (name) => new FileFollower(join(runDir, `${name}.log`), (chunk) => out(name).write(chunk)),
      );
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  let lastLiveness = performance.now();
  try {
    while (!ended && !interrupted) {
      await delay(FOLLOW_POLL_MS);
      for (const follower of followers) follower.poll();
      journalFollower.poll();
      if (!ended && performance.now() - lastLiveness >= LIVENESS_POLL_MS) {
        lastLiveness = performance.now();
        const lock = inspect(lockPath);
        if (lock.holder?.runId !== runId || lock.holderVerdict?.status !== 'alive') {
          journalFollower.poll();
          if (!ended) {
            process.stderr.write(`runwarden: run ${runId} is no longer live (no end recorded)\n`);
            break;
          }
        }
      }
    }
    for (const follower of followers) follower.poll();
  } finally {
    process.off('SIGINT', onSignal);
  }
  return 0;
}
