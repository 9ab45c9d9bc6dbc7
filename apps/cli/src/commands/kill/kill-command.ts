import { statSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { formatDuration } from '@runwarden/cli-kit';
import { describeReason, type KillTreeResult, killTree } from '@runwarden/kill-tree';
import { breakLock, inspect, LockHeldError } from '@runwarden/lock-core';
import { verifyIdentity } from '@runwarden/process-identity';
import { EXIT_CODES, type ReasonCode, WATCHDOG_DEFAULTS } from '@runwarden/watchdog';
import { closeOrphanedRun } from '../../close-run.js';
import { CliError } from '../../errors.js';
import { toCliError } from '../../failure.js';
import { processesOfRun, runGroupsOf } from '../../orphans.js';
import { colors, printJson, say } from '../../output.js';
import { runLockPath } from '../../run-lock.js';
import { resolveStateDir, statePaths } from '../../state-dir.js';

/** Flags of `runwarden kill`, as parsed. */
export interface KillFlags {
  /** `--grace`, in ms. @default WATCHDOG_DEFAULTS.killGraceMs */
  grace?: number;
  force?: boolean;
  target?: string;
  stateDir?: string;
  json?: boolean;
}

/** The part of a kill report that `--json` prints under `kill`. */
type KillSummary = Pick<
  KillTreeResult,
  'mechanism' | 'killed' | 'survivors' | 'processes' | 'escalated' | 'durationMs' | 'phases'
>;

/** Merges the report of a second sweep into the first: each pid keeps its latest outcome. */
function merge(first: KillSummary | undefined, next: KillTreeResult): KillSummary {
  if (!first) return next;
  const processes = new Map(first.processes.map((entry) => [entry.pid, entry]));
  for (const entry of next.processes) processes.set(entry.pid, entry);
  return {
    mechanism: next.mechanism,
    killed: [...new Set([...first.killed, ...next.killed])].sort((a, b) => a - b),
    survivors: next.survivors,
    processes: [...processes.values()],
    escalated: first.escalated || next.escalated,
    durationMs: first.durationMs + next.durationMs,
    phases: next.phases,
  };
}

/** Prints what happened to each process of the run: one line each, for people (stdout). */
function printProcesses(summary: KillSummary): void {
  if (summary.processes.length === 0) return;
  const write = (line: string) => process.stdout.write(`${line}\n`);
  write(
    colors.dim(`${'PID'.padStart(8)}  ${'OUTCOME'.padEnd(10)}  ${'FOUND BY'.padEnd(10)}  COMMAND`),
  );
  for (const entry of [...summary.processes].sort((a, b) => a.pid - b.pid)) {
    const alive = summary.survivors.some((survivor) => survivor.pid === entry.pid);
    const outcome = entry.reason.padEnd(10);
    const note = alive ? `  ${colors.dim(describeReason(entry.reason))}` : '';
    // The command line says more than the kernel's name (`node`, or `MainThread` on Node.js 24).
    // The program's directory is dropped, the way ps's COMMAND column reads best.
    const full = entry.command ? entry.command.replace(/^\S*\//, '') : entry.comm;
    // Cut to the terminal's width on a terminal only, as ps(1) does; whole in a pipe or a log.
    const room = process.stdout.isTTY ? Math.max(20, (process.stdout.columns ?? 80) - 36) : 0;
    const command = room && full.length > room ? `${full.slice(0, room - 1)}…` : full;
    write(
      `${String(entry.pid).padStart(8)}  ${alive ? colors.red(outcome) : outcome}  ${entry.via.padEnd(10)}  ${command}${note}`,
    );
  }
}

/**
 * `runwarden kill`: asks the live run to stop (SIGTERM to the runwarden
 * holder, which ends its tree and releases the lock) and ends the run's tree
 * itself within the grace period, found by the run token the lock names. With
 * `--force`: also kills an unresponsive holder, ends the orphans of a holder
 * that died (even by SIGKILL), and moves a corrupt lock aside. Prints what
 * happened to every process of the run.
 *
 * @param flags - the parsed flags.
 * @returns the exit code: 0, 5 (`LOCK_HELD`), 6 (`IDENTITY_MISMATCH`), 7
 *   (`INVALID_STATE`) or 8 (`UNKILLABLE`: part of the run is still alive; listed).
 * @throws {CliError} with the reason code for the exit table.
 */
export async function killCommand(flags: KillFlags): Promise<number> {
  const graceMs = flags.grace ?? WATCHDOG_DEFAULTS.killGraceMs;
  const stateDir = resolveStateDir(flags.stateDir);
  const paths = { ...statePaths(stateDir), lock: runLockPath(stateDir, flags.target) };
  const human = !flags.json;
  const orphansOf = (record: { runId?: string }) => processesOfRun(stateDir, record.runId);
  const report: Record<string, unknown> = { stateDir, lockPath: paths.lock, graceMs };
  const started = performance.now();
  let summary: KillSummary | undefined;
  const sweep = async (runId: string) => {
    try {
      // The run token, and the groups and sessions its attempts led (recorded in its journal):
      // a child that dropped RUNWARDEN_RUN_ID is ended too.
      summary = merge(
        summary,
        await killTree({ token: runId }, { graceMs, ...runGroupsOf(stateDir, runId) }),
      );
    } catch (error) {
      // A refusal to signal is IDENTITY_MISMATCH, with the report so far.
      throw toCliError(error, { data: report });
    }
  };

  const first = inspect(paths.lock, { orphansOf });
  if (first.state === 'corrupt') {
    if (!flags.force) {
      throw new CliError({
        reason: 'INVALID_STATE',
        message: first.reason,
        hint: 'Re-run with --force to move it aside (it is kept, not deleted).',
        data: { path: paths.lock },
      });
    }
    const moved = await breakLock(paths.lock);
    if (human) say(`moved the corrupt lock aside to ${moved.movedTo}`);
    return finish('OK', { ...report, action: 'moved-corrupt', movedTo: moved.movedTo }, flags);
  }
  if (first.state === 'free') {
    if (human) say('no run holds the lock; nothing to kill');
    return finish('OK', { ...report, action: 'none' }, flags);
  }
  const record = first.holder;
  const runId = record?.runId;
  report.runId = runId;
  report.holderPid = record?.holder.pid ?? first.legacyHolder?.pid;

  let holderSignalled = false;
  if (record && first.holderVerdict?.status === 'alive') {
    // kill(2) with signal 0 asks the kernel whether we may signal it at all (EPERM).
    const denied = signalDenied(record.holder.pid);
    if (denied) {
      throw new CliError({
        reason: 'LOCK_HELD',
        message: `Not permitted to signal runwarden (pid ${record.holder.pid}${runId ? `, run ${runId}` : ''}): EPERM. It runs as uid ${denied.ownerUid}, this is uid ${denied.ourUid}; nothing was signalled and the run goes on.`,
        hint: `Run \`runwarden kill\` as uid ${denied.ownerUid} (the user who started the run) or as root.`,
        data: { ...report, eperm: true, holderUid: denied.ownerUid },
      });
    }
    // killTree takes its first snapshot before it returns: the run's tree is
    // recorded as it is now, before the holder starts ending it too, so a
    // process that escapes while the two of us end the tree is still reported.
    const sweeping = runId ? sweep(runId) : Promise.resolve();
    // The live holder ends its own tree, writes its evidence and releases the lock.
    try {
      process.kill(record.holder.pid, 'SIGTERM');
      holderSignalled = true;
      if (human) say(`asked runwarden (pid ${record.holder.pid}) to stop run ${runId ?? ''}`);
    } catch {
      // exited meanwhile
    }
    await sweeping;
  } else if (first.holderVerdict?.status === 'foreign-host') {
    throw new CliError({
      reason: 'LOCK_HELD',
      message: `The lock is held by a process on another machine (${record?.holder.hostname}); runwarden never signals a remote pid.`,
    });
  } else if (first.holderVerdict?.status === 'unknown') {
    throw new CliError({
      reason: 'IDENTITY_MISMATCH',
      message: `Cannot verify the holder pid ${record?.holder.pid} (${first.holderVerdict.reason}); refusing to signal it.`,
    });
  } else if (first.state === 'held' && first.reason === 'orphaned-run' && runId) {
    // The runwarden process is gone (even by SIGKILL) but its run is not.
    const orphans = first.orphanPids ?? [];
    if (!flags.force) {
      throw new CliError({
        reason: 'LOCK_HELD',
        message: `runwarden (pid ${record?.holder.pid}) is gone, but run ${runId} still has ${orphans.length} process(es): ${orphans.join(', ')}.`,
        hint: 'End them with `runwarden kill --force`.',
        data: { ...report, orphanPids: orphans },
      });
    }
    if (human)
      say(`ending the orphans of run ${runId} (runwarden pid ${record?.holder.pid} is gone)`);
    await sweep(runId);
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
      throw new CliError({
        reason: 'LOCK_HELD',
        message: `runwarden (pid ${record.holder.pid}) did not release the lock within ${formatDuration(graceMs + 3000)}.`,
        hint: 'Re-run with --force to kill it.',
        data: report,
      });
    }
    if (verifyIdentity(record.holder).status === 'alive') {
      const holderKill = await killTree(record.holder, { graceMs: 0 }).catch(() => undefined);
      if (human && holderKill)
        say(`killed the unresponsive runwarden holder (pid ${record.holder.pid})`);
    }
    state = inspect(paths.lock, { orphansOf });
  }
  if (
    state.state === 'held' &&
    state.reason === 'orphaned-run' &&
    runId &&
    flags.force &&
    (summary?.survivors.length ?? 0) === 0
  ) {
    await sweep(runId);
    state = inspect(paths.lock, { orphansOf });
  }
  let lockAction = holderSignalled ? 'released-by-holder' : 'none';
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
  if (summary) {
    report.kill = summary;
    report.killed = summary.killed;
    report.survivors = summary.survivors;
    report.escalated = summary.escalated;
    if (human) {
      say(
        `run ${runId}: ${summary.killed.length} process(es) ended${summary.escalated ? ' (SIGKILL needed)' : ''}${summary.survivors.length > 0 ? `, ${colors.red(`${summary.survivors.length} still alive`)}` : ''}`,
      );
      printProcesses(summary);
    }
  }
  // A holder that died (even by SIGKILL) never wrote its run's end: close the record now.
  const survivorsNow = summary?.survivors ?? [];
  if (
    runId &&
    record &&
    survivorsNow.length === 0 &&
    verifyIdentity(record.holder).status !== 'alive'
  ) {
    const closed = closeOrphanedRun({
      stateDir,
      runId,
      holderPid: record.holder.pid,
      endedBy: `runwarden kill${flags.force ? ' --force' : ''} (pid ${process.pid}${process.getuid ? `, uid ${process.getuid()}` : ''})`,
      kill: summary,
    });
    if (closed.journal || closed.evidence) {
      report.closedRecord = { journal: closed.journal, evidence: closed.evidence };
      if (human)
        say(
          `closed the record of run ${runId}: journal ends INTERRUPTED${closed.evidence ? `, evidence ${closed.evidence.rootDigest}` : ''}`,
        );
    }
    if (human) for (const problem of closed.problems) say(colors.yellow(problem));
  }
  report.lock = state.state;
  report.lockAction = lockAction;
  report.durationMs = Math.round(performance.now() - started);
  const survivors = summary?.survivors ?? [];
  if (survivors.length > 0) {
    if (human)
      say(
        colors.red(
          `still alive: ${survivors.map((survivor) => `${survivor.pid} (${survivor.reason})`).join(', ')}`,
        ),
      );
    return finish('UNKILLABLE', report, flags);
  }
  if (state.state !== 'free') {
    throw new CliError({
      reason: 'LOCK_HELD',
      message: `The lock is still ${state.state} (${state.reason}).`,
      hint: 'Check `runwarden status`.',
      data: report,
    });
  }
  if (human)
    say(colors.green(`run ended; lock is free (${formatDuration(report.durationMs as number)})`));
  return finish('OK', report, flags);
}

/**
 * Whether this process may not signal `pid` (kill(2) with signal 0 fails with
 * EPERM), with the uid it runs as (the owner of `/proc/<pid>`).
 *
 * @param pid - the holder.
 * @returns the two uids when refused, `undefined` when allowed (or the pid is gone).
 */
function signalDenied(
  pid: number,
): { ownerUid: number | string; ourUid: number | string } | undefined {
  try {
    process.kill(pid, 0);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  let ownerUid: number | string = 'unknown';
  try {
    ownerUid = statSync(`/proc/${pid}`).uid;
  } catch {
    // not Linux, or gone meanwhile
  }
  return { ownerUid, ourUid: process.getuid?.() ?? 'unknown' };
}

function finish(reason: ReasonCode, report: Record<string, unknown>, flags: KillFlags): number {
  if (flags.json) printJson(reason, report);
  return EXIT_CODES[reason];
}
