import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeEvidence } from '@runwarden/evidence-hasher';
import type { KillTreeResult } from '@runwarden/kill-tree';
import { EXIT_CODES, Journal, readJournal, summarizeJournal } from '@runwarden/watchdog';
import { statePaths } from './state-dir.js';

/** What {@link closeOrphanedRun} did. */
export interface ClosedRun {
  /** True when it wrote the journal's `ended` event (the run had none). */
  journal: boolean;
  /** The evidence written, when it was. */
  evidence?: { sumsPath: string; rootDigest: string };
  /** Why something could not be done (the run is still ended; its record is not complete). */
  problems: string[];
}

/**
 * Closes the record of a run whose runwarden holder died (even by SIGKILL)
 * and whose orphans `runwarden kill --force` has just ended: its journal gets
 * the `kill` and `ended` events the holder never wrote (`INTERRUPTED`, exit
 * 130, who ended it), and its evidence is written, so `status` and `logs`
 * never call a dead run "running, no end recorded". A run whose journal
 * already ends is left as it is.
 *
 * @param options - the state directory, the run, who ended it, and the kill's report.
 * @returns what was written.
 */
export function closeOrphanedRun(options: {
  stateDir: string;
  runId: string;
  /** Who ended it, for people: `runwarden kill --force (pid 123, uid 0)`. */
  endedBy: string;
  /** The dead holder's pid. */
  holderPid: number | undefined;
  kill: Pick<KillTreeResult, 'killed' | 'survivors' | 'escalated' | 'durationMs'> | undefined;
}): ClosedRun {
  const closed: ClosedRun = { journal: false, problems: [] };
  if (!/^[\w.-]+$/.test(options.runId)) return closed;
  const runDir = statePaths(options.stateDir).runDir(options.runId);
  const journalPath = join(runDir, 'journal.jsonl');
  if (!existsSync(journalPath)) return closed;
  let summary: ReturnType<typeof summarizeJournal>;
  try {
    const events = readJournal(journalPath);
    if (events.some((event) => event.type === 'ended')) return closed;
    summary = summarizeJournal(events);
  } catch (error) {
    closed.problems.push(`could not read ${journalPath}: ${(error as Error).message}`);
    return closed;
  }
  const startedMs = summary.startedAt ? Date.parse(summary.startedAt) : Number.NaN;
  const durationMs = Number.isFinite(startedMs) ? Math.max(0, Date.now() - startedMs) : 0;
  const message = `Ended by ${options.endedBy}: the runwarden holder${options.holderPid ? ` (pid ${options.holderPid})` : ''} was gone and its run's processes were ended.`;
  const survivors = (options.kill?.survivors ?? []).map((survivor) => ({
    pid: survivor.pid,
    reason: survivor.reason,
  }));
  try {
    const journal = new Journal(journalPath, options.runId);
    try {
      if (options.kill) {
        journal.append('kill', summary.attempt, {
          why: 'kill --force',
          killed: options.kill.killed,
          survivors,
          escalated: options.kill.escalated,
          durationMs: options.kill.durationMs,
        });
      }
      journal.append(
        'ended',
        summary.attempt,
        {
          exitCode: EXIT_CODES.INTERRUPTED,
          attempts: summary.attempt,
          resumes: summary.resumes,
          budgetSpent: summary.budgetSpent,
          durationMs,
          message,
          survivors,
          endedBy: options.endedBy,
        },
        'INTERRUPTED',
      );
      closed.journal = true;
    } finally {
      journal.close();
    }
  } catch (error) {
    closed.problems.push(`could not close the journal: ${(error as Error).message}`);
  }
  try {
    const written = writeEvidence(runDir, {
      predicate: {
        runId: options.runId,
        command: summary.command,
        reason: 'INTERRUPTED',
        exitCode: EXIT_CODES.INTERRUPTED,
        startedAt: summary.startedAt,
        finishedAt: new Date().toISOString(),
        durationMs,
        attempts: summary.attempt,
        resumes: summary.resumes,
        endedBy: options.endedBy,
      },
    });
    closed.evidence = { sumsPath: written.sumsPath, rootDigest: written.manifest.rootDigest };
  } catch (error) {
    closed.problems.push(`could not write evidence: ${(error as Error).message}`);
  }
  return closed;
}
