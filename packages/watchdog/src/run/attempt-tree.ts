/**
 * Ending what is left of an attempt's process tree, through
 * `@runwarden/kill-tree`: the sweep after the leader exited by itself
 * (systemd's `KillMode=control-group`), and the kill of a tree runwarden ends
 * (idle, timeout, stop). Each kill is one `kill` journal event.
 */
import { KillTreeError, type KillTreeResult, killTree } from '@runwarden/kill-tree';
import type { Attempt } from './attempt.js';
import type { RunContext } from './run-context.js';

/** Journals a kill and keeps its escalation and survivors in the run's state. */
function recordKill(context: RunContext, why: string, result: KillTreeResult): void {
  context.emit('kill', {
    why,
    killed: result.killed,
    survivors: result.survivors,
    escalated: result.escalated,
    durationMs: result.durationMs,
  });
  if (result.escalated) context.state.isForcefullyTerminated = true;
}

/** Keeps a kill's survivors in the run's state. */
function keepSurvivors(context: RunContext, result: KillTreeResult): void {
  context.state.survivors = result.survivors.map((survivor) => ({
    pid: survivor.pid,
    reason: survivor.reason,
  }));
}

/**
 * After the leader exited by itself: ends whatever still carries the run's
 * token or sits in its process group.
 *
 * @param context - the run.
 * @param attempt - the attempt that exited.
 * @returns true when part of the tree survived SIGKILL (the run ends `UNKILLABLE`).
 */
export async function sweepLeftovers(context: RunContext, attempt: Attempt): Promise<boolean> {
  if (!attempt.token && attempt.groups.length === 0) return false;
  const sweep = await killTree(
    attempt.token ? { token: attempt.token } : { token: context.settings.runId },
    {
      graceMs: context.settings.killGraceMs,
      processGroups: attempt.groups,
    },
  ).catch(() => null);
  if (sweep && sweep.killed.length > 0) recordKill(context, 'leftover-after-exit', sweep);
  if (sweep && sweep.survivors.length > 0) {
    keepSurvivors(context, sweep);
    return true;
  }
  return false;
}

/**
 * Ends a running attempt's whole tree: from its root, verified by identity,
 * or, when the root is gone or not ours any more, whatever carries its token.
 *
 * @param context - the run.
 * @param attempt - the attempt to end.
 * @param why - for the `kill` event: the verdict or stop that ended it.
 * @returns the kill report, or `null` when nothing could be found to kill.
 * @throws what `killTree` throws other than a {@link KillTreeError} (a bug).
 */
export async function endAttemptTree(
  context: RunContext,
  attempt: Attempt,
  why: string,
): Promise<KillTreeResult | null> {
  const graceMs = context.settings.killGraceMs;
  const sweepByToken = () =>
    attempt.token
      ? killTree({ token: attempt.token }, { graceMs, processGroups: attempt.groups }).catch(
          () => null,
        )
      : Promise.resolve(null);
  const root = attempt.identity ?? attempt.pid;
  let result: KillTreeResult | null;
  if (root === undefined) {
    result = await sweepByToken();
  } else {
    try {
      result = await killTree(root, {
        graceMs,
        token: attempt.token,
        processGroups: attempt.groups,
      });
    } catch (error) {
      if (!KillTreeError.isInstance(error)) throw error;
      result = await sweepByToken();
    }
  }
  if (result) {
    recordKill(context, why, result);
    keepSurvivors(context, result);
  }
  return result;
}
