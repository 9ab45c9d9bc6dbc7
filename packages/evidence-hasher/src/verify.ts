import { statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { readRegularFile } from '@runwarden/safe-fs';
import { compareTrees, countStatuses, type EntryReport, type EntryStatus } from './compare.js';
import { crossCheck, type DocumentProblem, EVIDENCE_FILES } from './documents.js';
import { EvidenceError } from './errors.js';
import { type EvidenceManifest, rootDigestFor } from './formats.js';
import { parseManifest } from './manifest-parse.js';
import { type CollectAsyncOptions, collectEntriesAsync, type EvidenceEntry } from './walk.js';

/** Options for {@link verifyEvidence}. */
export interface VerifyOptions extends Omit<CollectAsyncOptions, 'exclude'> {
  /**
   * The tree to check.
   * @default the manifest's `root`, relative to the manifest's directory
   */
  root?: string;
}

/** Whether each optional document was there to cross-check. */
export interface DocumentsSeen {
  sums: boolean;
  statement: boolean;
  reviewPacket: boolean;
}

/** What {@link verifyEvidence} found. */
export interface VerifyReport {
  /** True only when the documents agree and every entry is `ok`. */
  ok: boolean;
  manifestPath: string;
  /** The tree that was checked (absolute). */
  root: string;
  /** The root digest recorded, and the one of the tree now. */
  rootDigest: { recorded: string; actual: string };
  documents: DocumentsSeen;
  /** Disagreements between the documents. */
  problems: DocumentProblem[];
  /** One report per path, recorded or found, sorted by UTF-8 bytes. */
  entries: EntryReport[];
  counts: Record<EntryStatus, number>;
}

/**
 * The most bytes read from one evidence document: a manifest lists about 200
 * bytes an entry, so 1 GiB is five million files.
 */
export const MAX_DOCUMENT_BYTES = 1024 * 1024 * 1024;

function readOptional(path: string): string | undefined {
  try {
    // Never a blocking open (a FIFO named manifest.json is refused at once), never unbounded.
    return readRegularFile(path, { maxBytes: MAX_DOCUMENT_BYTES, follow: true })?.bytes.toString(
      'utf8',
    );
  } catch (error) {
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_MANIFEST',
      path,
      message: `Cannot read ${path}: ${(error as Error).message}`,
      cause: error,
    });
  }
}

/**
 * Finds and reads the documents of an evidence directory (or of the
 * directory holding a given `manifest.json`).
 *
 * @param target An evidence directory or a manifest file.
 * @returns The manifest, its path and text, and the optional documents beside it (a promise: the manifest's schema loads zod on first use).
 * @throws {EvidenceError} `ERR_EVIDENCE_MANIFEST` when there is no readable, valid manifest.
 */
export async function readEvidence(target: string): Promise<{
  manifest: EvidenceManifest;
  manifestPath: string;
  manifestText: string;
  sums?: string;
  statement?: string;
  reviewPacket?: string;
}> {
  let manifestPath = resolve(target);
  try {
    if (statSync(manifestPath).isDirectory())
      manifestPath = join(manifestPath, EVIDENCE_FILES.manifest);
  } catch (error) {
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_MANIFEST',
      path: manifestPath,
      message: `${target} does not exist.`,
      cause: error,
      hint: 'Pass an evidence directory (holding manifest.json) or a manifest.json.',
    });
  }
  const manifestText = readOptional(manifestPath);
  if (manifestText === undefined)
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_MANIFEST',
      path: manifestPath,
      message: `There is no ${basename(manifestPath)} in ${dirname(manifestPath)}.`,
      hint: 'Pass an evidence directory written by `runwarden evidence hash --out DIR`.',
    });
  const manifest = await parseManifest(manifestText, manifestPath);
  const directory = dirname(manifestPath);
  return {
    manifest,
    manifestPath,
    manifestText,
    sums: readOptional(join(directory, EVIDENCE_FILES.sums)),
    statement: readOptional(join(directory, EVIDENCE_FILES.statement)),
    reviewPacket: readOptional(join(directory, EVIDENCE_FILES.reviewPacket)),
  };
}

/**
 * Verifies evidence: cross-checks `SHA256SUMS`, `manifest.json`, the in-toto
 * statement and the review packet against each other (see `crossCheck`),
 * then hashes the tree again and reports every path as `ok | modified |
 * missing | extra | type-changed | mode-changed | unreadable | unstable`.
 * The report is `ok` only when the documents agree and every path is `ok`.
 * The evidence files are never changed.
 *
 * @param target An evidence directory or its `manifest.json`.
 * @param options The tree to check (default: the manifest's `root`), retries, concurrency, progress.
 * @returns The report.
 * @throws {EvidenceError} `ERR_EVIDENCE_MANIFEST` when the manifest is missing, corrupt, of an unknown version, or does not say where its root is and `root` is not given.
 */
export async function verifyEvidence(
  target: string,
  options: VerifyOptions = {},
): Promise<VerifyReport> {
  const documents = await readEvidence(target);
  const { manifest, manifestPath } = documents;
  const evidenceDir = dirname(manifestPath);
  if (options.root === undefined && manifest.root === undefined)
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_MANIFEST',
      path: manifestPath,
      message: `${manifestPath} does not say where its root is.`,
      hint: 'Pass the tree to check with --root DIR.',
    });
  const root = resolve(options.root ?? resolve(evidenceDir, manifest.root!));
  const problems = crossCheck(documents);

  const exclude = [...(manifest.exclude ?? [])];
  const inside = relative(root, evidenceDir);
  if (inside === '') exclude.push(...Object.values(EVIDENCE_FILES));
  else if (!inside.startsWith('..') && !inside.startsWith(sep))
    exclude.push(inside.split(sep).join('/'));
  let actual: EvidenceEntry[];
  try {
    actual = await collectEntriesAsync(root, { ...options, exclude });
  } catch (error) {
    if (!(EvidenceError.isInstance(error) && error.code === 'ERR_EVIDENCE_ROOT')) throw error;
    problems.push({ document: 'root', message: error.message });
    actual = [];
  }
  const entries = compareTrees(manifest.entries, actual);
  const counts = countStatuses(entries);
  return {
    ok: problems.length === 0 && counts.ok === entries.length,
    manifestPath,
    root,
    rootDigest: {
      recorded: manifest.rootDigest,
      actual: rootDigestFor(manifest.schemaVersion, actual).h1,
    },
    documents: {
      sums: documents.sums !== undefined,
      statement: documents.statement !== undefined,
      reviewPacket: documents.reviewPacket !== undefined,
    },
    problems,
    entries,
    counts,
  };
}
