import {
  getProcessInfoSync,
  type ProcessIdentity,
  verifyIdentity,
} from '@runwarden/process-identity';
import { adoptedFiles, adoptedTails } from './adopt-target.js';
import { type Attempt, AttemptWatch, beginAttempt } from './attempt.js';
import type { RunContext } from './run-context.js';

/**
 * Adopts a running process as the current attempt and watches it until it
 * ends. Its death is seen by identity polling (pid, start time, boot id)
 * every `adoptPollMs`, never by a log's mtime; the files it writes
 * (`adopt.outputFile`, `adopt.stderrFile`, or the run's own logs with
 * `output: 'file'`) are its output.
 *
 * @param context - the run.
 * @param identity - the process, as verified before the run started.
 * @returns the attempt, once it ended.
 */
export async function adoptAttempt(
  context: RunContext,
  identity: ProcessIdentity,
): Promise<Attempt> {
  const { options, settings } = context;
  const tails = adoptedTails(options.adopt, settings.cwd, context.fileOutput?.paths);
  const watchesOutput = tails.length > 0 || context.fileOutput !== undefined;
  const times = beginAttempt(context, watchesOutput);
  if (watchesOutput) times.firstOutputAtMs = times.startedAtMs;
  const info = getProcessInfoSync(identity.pid, { cmdline: false });
  const groups =
    info && info.pgid === identity.pid
      ? [{ pgid: identity.pid, leaderStartTicks: identity.startTicks }]
      : [];
  context.emit('adopted', {
    pid: identity.pid,
    startTicks: identity.startTicks,
    token: identity.token,
    ...adoptedFiles(options.adopt, settings.cwd),
  });
  const readOutput = () => {
    for (const tail of tails)
      tail.read((chunk) =>
        context.tee.write(chunk, { stream: tail.stream, attempt: context.state.attempt }),
      );
  };
  const pollMs = settings.adoptPollMs;
  let lastIdentityCheck = context.clock.monotonicNow();
  const watch = new AttemptWatch(context, times, {
    intervalMs: Math.min(pollMs, settings.tickMs),
    beforeTick: () => {
      const at = context.clock.monotonicNow();
      if (at - lastIdentityCheck >= pollMs - 1) {
        lastIdentityCheck = at;
        const verdict = verifyIdentity(identity);
        if (verdict.status === 'dead' || verdict.status === 'reused')
          return { kind: 'exit', code: null, signal: null };
      }
      readOutput();
      return undefined;
    },
    onSettle: () => {
      readOutput();
      for (const tail of tails) tail.close();
    },
  });
  watch.start();
  const { end, uptimeMs } = await watch.ended;
  return {
    end,
    pid: identity.pid,
    identity,
    groups,
    token: identity.token,
    child: undefined,
    closed: Promise.resolve(),
    uptimeMs,
  };
}
