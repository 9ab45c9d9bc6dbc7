import { escapeSumsName, verifyEvidence } from '@runwarden/evidence-hasher';
import { toCliError } from '../../failure.js';
import { colors, say } from '../../output.js';
import { progressFor } from './progress.js';
import { EVIDENCE_EXIT, type EvidenceReason, printResult } from './result.js';

/** Flags of `runwarden evidence verify`, as parsed. */
export interface VerifyFlags {
  root?: string;
  json?: boolean;
}

/**
 * `runwarden evidence verify EVIDENCE`: checks the documents against each
 * other and the tree against them (ok, modified, missing, extra, …), like
 * `sha256sum -c`.
 *
 * @param target - an evidence directory or its `manifest.json`.
 * @param flags - the parsed flags.
 * @returns 0, or 1 (`EVIDENCE_MISMATCH`) when anything differs.
 * @throws {CliError} `INVALID_STATE` for a manifest that cannot be read, `USAGE` for a bad root.
 */
export async function verifyCommand(target: string, flags: VerifyFlags): Promise<number> {
  const json = flags.json ?? false;
  const progress = progressFor(json);
  let report: Awaited<ReturnType<typeof verifyEvidence>>;
  try {
    report = await verifyEvidence(target, { root: flags.root, onProgress: progress.onProgress });
  } catch (error) {
    throw toCliError(error);
  } finally {
    progress.stop();
  }
  const reason: EvidenceReason = report.ok ? 'OK' : 'EVIDENCE_MISMATCH';
  if (json)
    return printResult(reason, {
      manifestPath: report.manifestPath,
      root: report.root,
      rootDigest: report.rootDigest,
      documents: report.documents,
      counts: report.counts,
      problems: report.problems,
      entries: report.entries.map((entry) => ({ path: entry.path, status: entry.status })),
    });
  const width = Math.max(...report.entries.map((entry) => entry.status.length), 0);
  for (const entry of report.entries)
    if (entry.status !== 'ok')
      process.stdout.write(`${entry.status.padEnd(width)}  ${escapeSumsName(entry.path)}\n`);
  for (const problem of report.problems)
    process.stdout.write(
      `${problem.document}: ${problem.path !== undefined ? `${escapeSumsName(problem.path)}: ` : ''}${problem.message}\n`,
    );
  const counts = Object.entries(report.counts)
    .filter(([status, count]) => status !== 'ok' && count > 0)
    .map(([status, count]) => `${count} ${status}`);
  if (report.ok)
    say(
      `${colors.green(colors.bold('OK'))}: ${report.entries.length} entries match ${report.rootDigest.recorded}`,
    );
  else
    say(
      `${colors.red(colors.bold('EVIDENCE_MISMATCH'))} (exit 1): ${[...counts, report.problems.length > 0 ? `${report.problems.length} document problems` : ''].filter(Boolean).join(', ')}`,
    );
  return EVIDENCE_EXIT[reason];
}
