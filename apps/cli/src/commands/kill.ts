import { setTimeout as delay } from 'node:timers/promises';
import { KillTreeError, type KillTreeResult, killTree } from '@runwarden/kill-tree';
import { breakLock, inspect, LockHeldError } from '@runwarden/lock-core';
import { verifyIdentity } from '@runwarden/process-identity';
import type { ReasonCode } from '@runwarden/watchdog';
import { formatDuration, parseDuration } from '../durations.js';
import { CliError } from '../errors.js';
import { processesOfRun } from '../orphans.js';
import { colors, printJson, say } from '../output.js';
import { resolveStateDir, statePaths } from '../state-dir.js';

/** Flags of `runwarden kill`. */
export interface KillFlags {
  grace?: string;
  force?: boolean;
  stateDir?: string;
  json?: boolean;
}

/**
 * `runwarden kill`: asks the live run to stop (SIGTERM to the runwarden
 * holder, which ends its tree and releases the lock) and ends the run's tree
 * itself within the grace period, verified by run token. With `--force`: also
 * kills an unresponsive holder, ends orphans, and moves a corrupt lock aside.
 */
export async function killCommand(flags: KillFlags): Promise<number> {
  const graceMs = flags.grace !== undefined ? parseDuration('--grace', flags.grace) : 5000;
  const stateDir = resolveStateDir(flags.stateDir);
  const paths = statePaths(stateDir);
  const human = !flags.json;
  const orphansOf = (record: { runId?: string }) => processesOfRun(record.runId);
  const report: Record<string, unknown> = { stateDir, lockPath: paths.lock, graceMs };
  const started = performance.now();

  const first = inspect(paths.lock, { orphansOf });
  if (first.state === 'corrupt') {
    if (!flags.force) {
      throw new CliError(
        'INVALID_STATE',
        first.reason,
        'Re-run with --force to move it aside (it is kept, not deleted).',
        { path: paths.lock },
      );
    }
    const moved = await breakLock(paths.lock);
    if (human) say(`moved the corrupt lock aside to ${moved.movedTo}`);
    return finish(
      'OK',
      { ...report, action: 'moved-corrupt', movedTo: moved.movedTo },
      human,
      flags.json,
    );
  }
  if (first.state === 'free') {
    if (human) say('no run holds the lock; nothing to kill');
    return finish('OK', { ...report, action: 'none' }, human, flags.json);
  }
  const record = first.holder;
  const runId = record?.runId;
  report.runId = runId;
  report.holderPid = record?.holder.pid ?? first.legacyHolder?.pid;

  let tree: KillTreeResult | undefined;
  let holderSignalled = false;
  if (record && first.holderVerdict?.status === 'alive') {
    // The live holder ends its own tree, writes its evidence and releases the lock.
    try {
      process.kill(record.holder.pid, 'SIGTERM');
      holderSignalled = true;
      if (human) say(`asked runwarden (pid ${record.holder.pid}) to stop run ${runId ?? ''}`);
    } catch {
      // exited meanwhile
    }
  } else if (first.holderVerdict?.status === 'foreign-host') {
    throw new CliError(
      'LOCK_HELD',
      `The lock is held by a process on another machine (${record?.holder.hostname}); runwarden never signals a remote pid.`,
    );
  } else if (first.holderVerdict?.status === 'unknown') {
    throw new CliError(
      'IDENTITY_MISMATCH',
      `Cannot verify the holder pid ${record?.holder.pid} (${first.holderVerdict.reason}); refusing to signal it.`,
    );
  }
  if (runId) {
    try {
      tree = await killTree({ token: runId }, { graceMs });
    } catch (error) {
      if (KillTreeError.isInstance(error))
        throw new CliError('IDENTITY_MISMATCH', error.message, error.hint);
      throw error;
    }
    report.killed = tree.killed;
    report.survivors = tree.survivors;
    report.escalated = tree.escalated;
    if (human)
      say(
        `ended ${tree.killed.length} process(es) of run ${runId}${tree.escalated ? ' (SIGKILL needed)' : ''}`,
      );
  }

  // Wait for the holder to release the lock (it writes evidence first).
  const deadline = performance.now() + graceMs + 3000;
  let state = inspect(paths.lock, { orphansOf });
  while (
    holderSignalled &&
    state.state === 'held' &&
    state.reason === 'holder-alive' &&
    performance.now() < deadline
  ) {
    await delay(25);
    state = inspect(paths.lock, { orphansOf });
  }
  if (state.state === 'held' && state.reason === 'holder-alive' && record) {
    if (!flags.force) {
      throw new CliError(
        'LOCK_HELD',
        `runwarden (pid ${record.holder.pid}) did not release the lock within ${formatDuration(graceMs + 3000)}.`,
        'Re-run with --force to kill it.',
      );
    }
    const verdict = verifyIdentity(record.holder);
    if (verdict.status === 'alive') {
      const holderKill = await killTree(record.holder, { graceMs: 0 }).catch(() => undefined);
      if (human && holderKill)
        say(`killed the unresponsive runwarden holder (pid ${record.holder.pid})`);
    }
    state = inspect(paths.lock, { orphansOf });
  }
  if (state.state === 'held' && state.reason === 'orphaned-run' && runId) {
    const sweep = await killTree({ token: runId }, { graceMs });
    report.killed = [...new Set([...((report.killed as number[]) ?? []), ...sweep.killed])];
    report.survivors = sweep.survivors;
    state = inspect(paths.lock, { orphansOf });
  }
  let lockAction = 'released-by-holder';
  if (state.state === 'stale') {
    try {
      const broken = await breakLock(paths.lock, { orphansOf });
      lockAction = broken.action;
      if (human && broken.action === 'removed-stale')
        say(`removed the stale lock (${broken.reason})`);
    } catch (error) {
      if (!LockHeldError.isInstance(error)) throw error;
    }
    state = inspect(paths.lock, { orphansOf });
  }
  report.lock = state.state;
  report.lockAction = lockAction;
  report.durationMs = Math.round(performance.now() - started);
  const survivors = (report.survivors as { pid: number }[] | undefined) ?? [];
  if (survivors.length > 0) {
    if (human)
      say(colors.red(`survived SIGKILL: ${survivors.map((survivor) => survivor.pid).join(', ')}`));
    return finish('UNKILLABLE', report, human, flags.json);
  }
  if (state.state !== 'free') {
    throw new CliError(
      'LOCK_HELD',
      `The lock is still ${state.state} (${state.reason}).`,
      'Check `runwarden status`.',
      report,
    );
  }
  if (human)
    say(colors.green(`run ended; lock is free (${formatDuration(report.durationMs as number)})`));
  return finish('OK', report, human, flags.json);
}

function finish(
  reason: ReasonCode,
  report: Record<string, unknown>,
  _human: boolean,
  json: boolean | undefined,
): number {
  if (json) printJson(reason, report);
  return reason === 'OK' ? 0 : reason === 'UNKILLABLE' ? 8 : 70;
}
