import { spawn } from 'node:child_process';
import { captureIdentity, type ProcessIdentity } from '@runwarden/process-identity';
import type { CommandSpec } from '../options.js';
import { type Attempt, AttemptWatch, beginAttempt } from './attempt.js';
import type { RunContext } from './run-context.js';

/**
 * Spawns one attempt and watches it until it ends. The child runs in its own
 * session and process group (setsid(2)), stdin `/dev/null`, the run token and
 * the attempt number in its environment; its output goes to the tee (pipes)
 * or straight to the log files (`output: 'file'`). Its death is seen at once
 * (its `exit` event).
 *
 * @param context - the run.
 * @param spec - the command of this attempt.
 * @returns the attempt, once it ended.
 */
export async function spawnAttempt(context: RunContext, spec: CommandSpec): Promise<Attempt> {
  const { fileOutput, state } = context;
  const times = beginAttempt(context, true);
  const child = spawn(spec.command, spec.args ?? [], {
    cwd: context.settings.cwd,
    env: context.attemptEnv(),
    detached: true,
    stdio: fileOutput ? ['ignore', ...fileOutput.openForChild()] : ['ignore', 'pipe', 'pipe'],
  });
  fileOutput?.releaseChildFds();
  const closed = new Promise((done) => child.once('close', done));
  state.currentChild = child;
  let identity: ProcessIdentity | null = null;
  const watch = new AttemptWatch(context, times, {
    intervalMs: context.settings.tickMs,
    onSettle: () => fileOutput?.drain(),
  });
  child.on('error', (error: NodeJS.ErrnoException) => {
    if (child.pid === undefined) watch.settle({ kind: 'spawn-error', error });
  });
  child.on('exit', (code, signal) => watch.settle({ kind: 'exit', code, signal }));
  if (child.pid !== undefined) {
    // Recorded first: until this line is written, a SIGKILLed runner leaves a
    // child that cleared its environment unfindable (see findRunProcesses).
    identity = captureIdentity(child.pid, { token: context.settings.runId, tokenSource: 'env' });
    context.emit(state.attempt === 1 ? 'spawned' : 'resumed', {
      pid: child.pid,
      ...(identity ? { startTicks: identity.startTicks, startTimeMs: identity.startTimeMs } : {}),
      command: spec.command,
      args: spec.args ?? [],
      ...(state.attempt > 1 ? { checkpoint: context.watcher.lastCheckpoint() } : {}),
    });
    if (child.stdout) context.tee.attach(child.stdout, 'stdout', state.attempt);
    if (child.stderr) context.tee.attach(child.stderr, 'stderr', state.attempt);
  }
  watch.start();
  const { end, uptimeMs } = await watch.ended;
  return {
    end,
    pid: child.pid,
    identity,
    groups:
      child.pid !== undefined && identity
        ? [{ pgid: child.pid, leaderStartTicks: identity.startTicks }]
        : [],
    token: context.settings.runId,
    child,
    closed,
    uptimeMs,
  };
}
