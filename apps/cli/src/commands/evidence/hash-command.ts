import { relative } from 'node:path';
import {
  collectEntriesAsync,
  type EvidenceFormat,
  escapeSumsName,
  renderEvidence,
  writeEvidenceAsync,
} from '@runwarden/evidence-hasher';
import { usage } from '../../errors.js';
import { toCliError } from '../../failure.js';
import { colors, say, shownPath } from '../../output.js';
import { progressFor } from './progress.js';
import { EVIDENCE_EXIT, type EvidenceReason, printResult } from './result.js';

/** Flags of `runwarden evidence hash`, as parsed. */
export interface HashFlags {
  out?: string;
  format?: EvidenceFormat[];
  exclude?: string[];
  json?: boolean;
}

/**
 * `runwarden evidence hash ROOT`: hashes a tree into evidence (`--out DIR`:
 * SHA256SUMS, manifest, in-toto statement, review packet), or prints one
 * format on stdout.
 *
 * @param rootArgument - the directory to hash.
 * @param flags - the parsed flags.
 * @returns 0, or 1 (`EVIDENCE_INCOMPLETE`) when entries were unreadable or unstable.
 * @throws {CliError} `USAGE` for a contradictory `--format` or a bad root or output directory.
 */
export async function hashCommand(rootArgument: string, flags: HashFlags): Promise<number> {
  const formats = flags.format && flags.format.length > 0 ? flags.format : undefined;
  const json = flags.json ?? false;
  if (!flags.out && formats && formats.length > 1)
    throw usage('--format: without --out, name one format to print (or add --out DIR)');
  if (!flags.out && formats && json)
    throw usage('--format prints a document and --json the result object: add --out DIR');
  const progress = progressFor(json);
  const started = performance.now();
  try {
    if (!flags.out) {
      const entries = await collectEntriesAsync(rootArgument, {
        exclude: flags.exclude,
        onProgress: progress.onProgress,
      });
      progress.stop();
      const rendered = renderEvidence(entries, { sumsPathFromRoot: 'SHA256SUMS' });
      const incomplete = rendered.statement.predicate.evidence.incomplete;
      const reason: EvidenceReason = incomplete.length > 0 ? 'EVIDENCE_INCOMPLETE' : 'OK';
      if (json)
        return printResult(reason, {
          root: rootArgument,
          durationMs: Math.round(performance.now() - started),
          incomplete,
          collisions: rendered.statement.predicate.evidence.collisions,
          manifest: rendered.manifest,
        });
      process.stdout.write(rendered.texts[formats?.[0] ?? 'sums']);
      for (const entry of incomplete)
        say(colors.yellow(`${entry.status}: ${escapeSumsName(entry.path)}`));
      return EVIDENCE_EXIT[reason];
    }
    const result = await writeEvidenceAsync(rootArgument, {
      outDir: flags.out,
      formats,
      exclude: flags.exclude,
      onProgress: progress.onProgress,
    });
    progress.stop();
    const { manifest } = result;
    const summary = result.statement.predicate.evidence;
    const reason: EvidenceReason = summary.incomplete.length > 0 ? 'EVIDENCE_INCOMPLETE' : 'OK';
    const durationMs = Math.round(performance.now() - started);
    if (json)
      return printResult(reason, {
        root: result.checkFrom,
        written: result.written,
        rootDigest: manifest.rootDigest,
        rootSha256: manifest.rootSha256,
        fileCount: manifest.fileCount,
        totalBytes: manifest.totalBytes,
        durationMs,
        incomplete: summary.incomplete,
        collisions: summary.collisions,
      });
    say(
      `hashed ${manifest.fileCount} file${manifest.fileCount === 1 ? '' : 's'} (${manifest.totalBytes} bytes) in ${(durationMs / 1000).toFixed(2)} s: ${colors.bold(manifest.rootDigest)}`,
    );
    for (const path of result.written) say(`wrote ${shownPath(path)}`);
    for (const entry of summary.incomplete)
      say(colors.yellow(`${entry.status}: ${escapeSumsName(entry.path)} (no digest recorded)`));
    for (const group of summary.collisions)
      say(
        colors.yellow(
          `names equal ${group.kind === 'nfc' ? 'after NFC normalisation' : 'ignoring case'}: ${group.paths.map(escapeSumsName).join(', ')}`,
        ),
      );
    if (result.written.includes(result.sumsPath))
      say(
        `check it: ${colors.cyan(`(cd ${shownPath(result.checkFrom)} && sha256sum -c ${relative(result.checkFrom, result.sumsPath)})`)}`,
      );
    return EVIDENCE_EXIT[reason];
  } catch (error) {
    throw toCliError(error);
  } finally {
    progress.stop();
  }
}
