import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { formatDuration } from '@runwarden/cli-kit';
import { inspect, type LockInspection } from '@runwarden/lock-core';
import {
  type JournalEvent,
  type RunSummary,
  readJournal,
  summarizeJournal,
} from '@runwarden/watchdog';
import { CliError } from '../../errors.js';
import { processesOfRun } from '../../orphans.js';
import { colors, printJson, say } from '../../output.js';
import { type LiveTargetRun, liveTargetRuns, newestRuns, targetOf } from '../../run-index.js';
import { normalizedTarget, runLockPath } from '../../run-lock.js';
import { resolveStateDir, statePaths } from '../../state-dir.js';

/** Flags of `runwarden status`. */
export interface StatusFlags {
  target?: string;
  stateDir?: string;
  json?: boolean;
}

/** What `runwarden status` reports. */
export interface StatusReport {
  stateDir: string;
  lockPath: string;
  /** `free`, `running` (live holder), `orphaned` (holder dead, its run's processes alive), `stale`, `held` (other reasons), `corrupt`. */
  state: 'free' | 'running' | 'orphaned' | 'stale' | 'held' | 'corrupt';
  /** Why the lock is in that state (`holder-alive`, `orphaned-run`, `holder-dead`, …). */
  detail: string;
  holderPid?: number;
  holderAlive?: boolean;
  hostname?: string;
  runId?: string;
  fencingToken?: number;
  heartbeatAgeMs?: number;
  acquiredAt?: string;
  orphanPids?: number[];
  lastEvent?: JournalEvent;
  /** The run folded from its journal: the live run's, or, with the lock free, the latest run's. */
  run?: Omit<RunSummary, 'lastEvent'>;
  /** Without `--target`: the runs that hold a target's own lock now (`runwarden status --target KEY` tells more). */
  targetRuns?: LiveTargetRun[];
}

/** The summary of a run's journal, without its last event (reported beside it). */
function summaryOf(events: JournalEvent[]): {
  run: Omit<RunSummary, 'lastEvent'>;
  last?: JournalEvent;
} {
  const { lastEvent, ...run } = summarizeJournal(events);
  return { run, last: lastEvent };
}

/**
 * The journal of the latest run of a lock: of the target (from its `started`
 * event's labels), or with none, of the latest run without a target (a run on
 * a target holds that target's lock, not this one). Each journal is read once.
 */
function latestRunOfTarget(
  stateDir: string,
  target: string | undefined,
): JournalEvent[] | undefined {
  for (const entry of newestRuns(stateDir)) {
    if (entry.loop) continue;
    let events: JournalEvent[];
    try {
      events = readJournal(join(entry.runDir, 'journal.jsonl'));
    } catch {
      continue; // its journal went away meanwhile
    }
    if (targetOf(events) === target) return events;
  }
  return undefined;
}

/**
 * Builds the status report from the lock and the run's journal.
 *
 * @param stateDir - the state directory.
 * @param target - report on this target's run lock (normalised key) instead of the state directory's.
 * @returns the report.
 */
export function readStatus(stateDir: string, target?: string): StatusReport {
  const paths = { ...statePaths(stateDir), lock: runLockPath(stateDir, target) };
  const inspection: LockInspection = inspect(paths.lock, {
    orphansOf: (record) => processesOfRun(stateDir, record.runId),
  });
  const report: StatusReport = {
    stateDir,
    lockPath: paths.lock,
    state: 'free',
    detail: inspection.reason,
  };
  if (target === undefined) {
    const targetRuns = liveTargetRuns(stateDir);
    if (targetRuns.length > 0) report.targetRuns = targetRuns;
  }
  if (inspection.state === 'corrupt') return { ...report, state: 'corrupt' };
  if (inspection.state === 'free') {
    const events = latestRunOfTarget(stateDir, target);
    if (events) report.run = summaryOf(events).run;
    return report;
  }
  const holder = inspection.holder;
  if (holder) {
    report.holderPid = holder.holder.pid;
    report.hostname = holder.holder.hostname;
    report.runId = holder.runId;
    report.fencingToken = holder.fencingToken;
    report.acquiredAt = holder.acquiredAt;
  } else if (inspection.legacyHolder) {
    report.holderPid = inspection.legacyHolder.pid;
  }
  report.holderAlive = inspection.holderVerdict?.status === 'alive';
  if (inspection.heartbeatAgeMs !== undefined) report.heartbeatAgeMs = inspection.heartbeatAgeMs;
  if (inspection.orphanPids) report.orphanPids = inspection.orphanPids;
  report.state =
    inspection.state === 'stale'
      ? 'stale'
      : inspection.reason === 'holder-alive'
        ? 'running'
        : inspection.reason === 'orphaned-run'
          ? 'orphaned'
          : 'held';
  if (report.runId) {
    const journal = join(paths.runDir(report.runId), 'journal.jsonl');
    if (existsSync(journal)) {
      const { run, last } = summaryOf(readJournal(journal));
      report.run = run;
      if (last) report.lastEvent = last;
    }
  }
  return report;
}

/**
 * `runwarden status`: who holds the lock, alive or not, heartbeat age, and the
 * run as its journal tells it (attempt, budget, pause, last event); with the
 * lock free, how the latest run ended.
 *
 * @param flags - `--state-dir`, `--json`.
 * @returns the exit code.
 * @throws {CliError} `INVALID_STATE` for a corrupt lock (kept as it is).
 */
export async function statusCommand(flags: StatusFlags): Promise<number> {
  const stateDir = resolveStateDir(flags.stateDir);
  const target = flags.target !== undefined ? normalizedTarget(flags.target) : undefined;
  const report = readStatus(stateDir, target);
  if (report.state === 'corrupt') {
    throw new CliError({
      reason: 'INVALID_STATE',
      message: report.detail,
      hint: 'Clear it with `runwarden kill --force` (the file is moved aside, not deleted).',
      data: { ...report },
    });
  }
  if (flags.json) {
    printJson('OK', { ...report });
    return 0;
  }
  const line = (label: string, value: string) =>
    process.stdout.write(`${colors.dim(label.padEnd(10))} ${value}\n`);
  const stateText =
    report.state === 'running'
      ? colors.green('running')
      : report.state === 'free'
        ? 'free (no run)'
        : report.state === 'orphaned'
          ? colors.red('orphaned: the runwarden process is gone, its run is not')
          : report.state === 'stale'
            ? colors.yellow(`stale (${report.detail}): the next run takes it over`)
            : colors.yellow(`held (${report.detail})`);
  line('state', stateText);
  line('lock', report.lockPath);
  if (report.holderPid !== undefined)
    line(
      'holder',
      `pid ${report.holderPid}${report.hostname ? ` on ${report.hostname}` : ''} ${report.holderAlive ? colors.green('alive') : colors.red('not alive')}`,
    );
  if (report.runId) line('run', report.runId);
  if (report.heartbeatAgeMs !== undefined)
    line('heartbeat', `${formatDuration(report.heartbeatAgeMs)} ago`);
  if (report.orphanPids?.length) line('orphans', report.orphanPids.join(', '));
  const run = report.run;
  if (run && report.state !== 'free') {
    line(
      'attempt',
      `${run.attempt} (${run.state}${run.pid ? `, pid ${run.pid}` : ''}), budget ${run.budgetSpent}/${run.maxResumes ?? '?'} spent${run.quotaPauses ? `, ${run.quotaPauses} quota pause(s)` : ''}`,
    );
    if (run.pausedUntil) line('paused', `quota: until ${run.pausedUntil}`);
    if (run.nextResumeAt && run.state === 'backing-off') line('resume', `at ${run.nextResumeAt}`);
    if (run.lastProgressAt) line('progress', `last at ${run.lastProgressAt}`);
  }
  if (run && report.state === 'free' && run.runId)
    line(
      'last run',
      `${run.runId}: ${run.state === 'ended' ? `${run.reason} (exit ${run.exitCode}) ${run.message ?? ''}` : `${run.state}, no end recorded`}`,
    );
  if (report.lastEvent)
    line(
      'last',
      `${report.lastEvent.type}${report.lastEvent.reason ? ` (${report.lastEvent.reason})` : ''} at ${report.lastEvent.ts}`,
    );
  if (report.targetRuns)
    line(
      'targets',
      report.targetRuns
        .map((run) => `${run.target} (run ${run.runId}, pid ${run.holderPid})`)
        .join(', '),
    );
  if (report.state === 'orphaned') say('end them with `runwarden kill --force`');
  return 0;
}
