import { EXIT_CODES, type ReasonCode, type RunResult } from '@runwarden/watchdog';
import { colors, printJson, say, shownPath } from '../../output.js';
import type { TargetClaim } from '../../target-claim.js';

/** The evidence a run left, for its report. */
export interface RunEvidence {
  sumsPath: string;
  manifestPath: string;
  checkFrom: string;
  rootDigest: string;
}

/** What {@link reportRun} reports. */
export interface RunReport {
  reason: ReasonCode;
  /** The one line that says why (the watchdog's, or why the lock or the target was lost). */
  message: string | undefined;
  result: RunResult | undefined;
  runId: string;
  runDir: string;
  stateDir: string;
  target: string | undefined;
  evidence: RunEvidence | undefined;
  targetClaim: TargetClaim | undefined;
  json: boolean;
}

/**
 * Prints how a run ended: with `--json` the one object (`ok`, `reason`,
 * `exitCode` and the result), else its reason, its logs and how to check its
 * evidence, on stderr.
 *
 * @param report - the run and how it ended.
 * @returns the exit code of its reason (DESIGN.md's table).
 */
export function reportRun(report: RunReport): number {
  const { reason, result, runId, runDir, evidence } = report;
  const exitCode = EXIT_CODES[reason];
  if (report.json) {
    printJson(reason, {
      runId,
      message: report.message,
      targetStillOwned: report.targetClaim?.stillOwned,
      attempts: result?.attempts,
      resumes: result?.resumes,
      budgetSpent: result?.budgetSpent,
      quotaPauses: result?.quotaPauses,
      completedBy: result?.completedBy,
      resumeOn: result?.resumeOn,
      resumedBy: result?.resumedBy,
      endedByRule: result?.endedByRule,
      warnings: result?.warnings,
      checkpoint: result?.checkpoint,
      durationMs: result?.durationMs,
      timedOut: result?.timedOut,
      isTerminated: result?.isTerminated,
      isForcefullyTerminated: result?.isForcefullyTerminated,
      lastExit: result?.lastExit,
      survivors: result?.survivors,
      runDir,
      stateDir: report.stateDir,
      target: report.target,
      evidence,
    });
    return exitCode;
  }
  const paint = reason === 'OK' ? colors.green : colors.red;
  say(`${paint(colors.bold(reason))} (exit ${exitCode}): ${report.message ?? ''}`);
  say(`logs: ${shownPath(runDir)}/{stdout.log,stderr.log,journal.jsonl} (runwarden logs ${runId})`);
  if (evidence) {
    say(`evidence: ${shownPath(evidence.sumsPath)} (${evidence.rootDigest})`);
    say(
      `check it: ${colors.cyan(`(cd ${shownPath(evidence.checkFrom)} && sha256sum -c evidence/SHA256SUMS)`)}`,
    );
  }
  return exitCode;
}
