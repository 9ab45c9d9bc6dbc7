import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { inspect } from '@runwarden/lock-core';
import {
  type JournalEvent,
  parseJournal,
  readJournal,
  WATCHDOG_DEFAULTS,
} from '@runwarden/watchdog';
import { CLI_DEFAULTS } from '../../defaults.js';
import { usage } from '../../errors.js';
import { printJson } from '../../output.js';
import { lockPathOfRun } from '../../run-index.js';
import { normalizedTarget } from '../../run-lock.js';
import { resolveStateDir } from '../../state-dir.js';
import { storyLine } from '../../story.js';
import { FileFollower, tailLines } from './log-files.js';
import { resolveRun } from './resolve-run.js';
import type { LogStream } from './streams.js';

/** Flags of `runwarden logs`, as parsed. */
export interface LogsFlags {
  /** `-n`: lines from the end. @default CLI_DEFAULTS.logLines */
  lines?: number;
  follow?: boolean;
  stream?: LogStream;
  journal?: boolean;
  target?: string;
  stateDir?: string;
  json?: boolean;
}

type StreamName = 'stdout' | 'stderr';
const FOLLOW_POLL_MS = 200;
const LIVENESS_POLL_MS = 1000;

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
  const count = flags.lines ?? CLI_DEFAULTS.logLines;
  const stream = flags.stream ?? 'all';
  if (flags.json && flags.follow) throw usage('--json: cannot be combined with --follow');
  const stateDir = resolveStateDir(flags.stateDir);
  const target = flags.target !== undefined ? normalizedTarget(flags.target) : undefined;
  const run = resolveRun(stateDir, runIdArgument, target);
  const { runId, runDir } = run;
  const lockPath = lockPathOfRun(stateDir, run);
  const journalPath = join(runDir, 'journal.jsonl');
  const streams: StreamName[] = stream === 'all' ? ['stdout', 'stderr'] : [stream as StreamName];
  const events = existsSync(journalPath) ? readJournal(journalPath) : [];
  const maxResumes = Number(
    events.find((event) => event.type === 'started')?.maxResumes ?? WATCHDOG_DEFAULTS.maxResumes,
  );
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
