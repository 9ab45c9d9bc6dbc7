import { createHash } from 'node:crypto';
import { type EvidenceManifest, parseSha256Sums, rootDigestFor } from './formats.js';
import { RUN_PREDICATE_TYPE, STATEMENT_TYPE } from './in-toto.js';
import { compareUtf8 } from './walk.js';

/** The file names of the evidence documents inside an evidence directory. */
export const EVIDENCE_FILES = {
  sums: 'SHA256SUMS',
  manifest: 'manifest.json',
  statement: 'statement.intoto.json',
  reviewPacket: 'review-packet.md',
} as const;

/** A document format: `sums` (SHA256SUMS), `json` (manifest), `intoto` (statement), `md` (review packet). */
export type EvidenceFormat = 'sums' | 'json' | 'intoto' | 'md';

/** Every {@link EvidenceFormat}, in the order they are written. */
export const EVIDENCE_FORMATS: readonly EvidenceFormat[] = ['sums', 'json', 'intoto', 'md'];

/** The file name each format is written to. */
export const FORMAT_FILES: Record<EvidenceFormat, string> = {
  sums: EVIDENCE_FILES.sums,
  json: EVIDENCE_FILES.manifest,
  intoto: EVIDENCE_FILES.statement,
  md: EVIDENCE_FILES.reviewPacket,
};

/** A disagreement between the evidence documents, or inside one. */
export interface DocumentProblem {
  /** The document at fault (the file name). */
  document: string;
  /** The entry concerned, when there is one. */
  path?: string;
  /** One line for people. */
  message: string;
}

/** The documents of an evidence directory as read (absent ones `undefined`). */
export interface EvidenceDocuments {
  manifest: EvidenceManifest;
  /** The manifest's exact text (its digest is recorded in the statement). */
  manifestText: string;
  sums?: string;
  statement?: string;
  reviewPacket?: string;
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Cross-checks the evidence documents against each other, without the tree:
 * the manifest against its own root digest, counts and order; `SHA256SUMS`
 * against the manifest's digests, line by line; the in-toto statement's
 * subjects, root digest and document digests against the manifest and
 * `SHA256SUMS`; the review packet's root digest. A pure function.
 *
 * @param documents The documents as read.
 * @returns The problems found (empty when all agree).
 */
export function crossCheck(documents: EvidenceDocuments): DocumentProblem[] {
  const problems: DocumentProblem[] = [];
  const { manifest } = documents;
  const manifestName = EVIDENCE_FILES.manifest;

  // The manifest against itself.
  for (let index = 1; index < manifest.entries.length; index++) {
    const previous = manifest.entries[index - 1]!.path;
    const current = manifest.entries[index]!.path;
    if (compareUtf8(previous, current) >= 0)
      problems.push({
        document: manifestName,
        path: current,
        message: `entries are not in UTF-8 byte order, or repeat a path (${JSON.stringify(previous)} before ${JSON.stringify(current)})`,
      });
  }
  const digest = rootDigestFor(manifest.schemaVersion, manifest.entries);
  if (digest.h1 !== manifest.rootDigest || digest.hex !== manifest.rootSha256)
    problems.push({
      document: manifestName,
      message: `rootDigest ${manifest.rootDigest} does not match its entries (${digest.h1})`,
    });
  const files = manifest.entries.filter((entry) => entry.type === 'file');
  const totalBytes = files.reduce((sum, entry) => sum + entry.size, 0);
  if (files.length !== manifest.fileCount || totalBytes !== manifest.totalBytes)
    problems.push({
      document: manifestName,
      message: `fileCount/totalBytes ${manifest.fileCount}/${manifest.totalBytes} do not match its entries (${files.length}/${totalBytes})`,
    });
  for (const entry of manifest.entries) {
    if (entry.type === 'file' && !entry.status && !entry.sha256)
      problems.push({
        document: manifestName,
        path: entry.path,
        message: 'a file without a digest or a status',
      });
  }
  const hashed = new Map<string, string>();
  for (const entry of files)
    if (entry.sha256 && !entry.status) hashed.set(entry.path, entry.sha256);

  // SHA256SUMS against the manifest.
  if (documents.sums !== undefined) {
    const sumsName = EVIDENCE_FILES.sums;
    const parsed = parseSha256Sums(documents.sums);
    for (const problem of parsed.problems)
      problems.push({
        document: sumsName,
        message: `line ${problem.lineNumber}: ${problem.message}`,
      });
    const listed = new Set<string>();
    for (const line of parsed.lines) {
      if (listed.has(line.path)) {
        problems.push({
          document: sumsName,
          path: line.path,
          message: `line ${line.lineNumber}: listed twice`,
        });
        continue;
      }
      listed.add(line.path);
      const recorded = hashed.get(line.path);
      if (recorded === undefined)
        problems.push({
          document: sumsName,
          path: line.path,
          message: `line ${line.lineNumber}: not a hashed file in ${manifestName}`,
        });
      else if (recorded !== line.sha256)
        problems.push({
          document: sumsName,
          path: line.path,
          message: `line ${line.lineNumber}: digest ${line.sha256} differs from ${manifestName} (${recorded})`,
        });
    }
    for (const path of hashed.keys())
      if (!listed.has(path))
        problems.push({
          document: sumsName,
          path,
          message: `missing, though ${manifestName} lists its digest`,
        });
  }

  // The in-toto statement against the manifest and SHA256SUMS.
  if (documents.statement !== undefined) {
    const statementName = EVIDENCE_FILES.statement;
    let statement: {
      _type?: unknown;
      predicateType?: unknown;
      subject?: { name?: unknown; digest?: { sha256?: unknown } }[];
      predicate?: { evidence?: { rootDigest?: unknown; documents?: Record<string, unknown> } };
    };
    try {
      statement = JSON.parse(documents.statement);
    } catch (error) {
      problems.push({ document: statementName, message: `not JSON: ${(error as Error).message}` });
      return problems;
    }
    if (statement._type !== STATEMENT_TYPE)
      problems.push({ document: statementName, message: `_type is not ${STATEMENT_TYPE}` });
    if (statement.predicateType !== RUN_PREDICATE_TYPE)
      problems.push({
        document: statementName,
        message: `predicateType is not ${RUN_PREDICATE_TYPE}`,
      });
    const subjects = new Map<string, unknown>();
    for (const subject of Array.isArray(statement.subject) ? statement.subject : [])
      subjects.set(String(subject?.name), subject?.digest?.sha256);
    for (const [path, sha256] of hashed) {
      if (!subjects.has(path))
        problems.push({ document: statementName, path, message: 'no subject for this file' });
      else if (subjects.get(path) !== sha256)
        problems.push({
          document: statementName,
          path,
          message: `subject digest differs from ${manifestName}`,
        });
    }
    for (const name of subjects.keys())
      if (!hashed.has(name))
        problems.push({
          document: statementName,
          path: name,
          message: `subject is not a hashed file in ${manifestName}`,
        });
    const evidence = statement.predicate?.evidence;
    if (evidence?.rootDigest !== manifest.rootDigest)
      problems.push({
        document: statementName,
        message: `predicate.evidence.rootDigest ${String(evidence?.rootDigest)} differs from ${manifestName} (${manifest.rootDigest})`,
      });
    const recorded = evidence?.documents ?? {};
    if (
      recorded[manifestName] !== undefined &&
      recorded[manifestName] !== sha256Hex(documents.manifestText)
    )
      problems.push({
        document: manifestName,
        message: `its SHA-256 differs from the one ${statementName} records`,
      });
    const sumsName = EVIDENCE_FILES.sums;
    if (recorded[sumsName] !== undefined) {
      if (documents.sums === undefined)
        problems.push({
          document: sumsName,
          message: `missing, though ${statementName} records its digest`,
        });
      else if (recorded[sumsName] !== sha256Hex(documents.sums))
        problems.push({
          document: sumsName,
          message: `its SHA-256 differs from the one ${statementName} records`,
        });
    }
  }

  if (documents.reviewPacket !== undefined && !documents.reviewPacket.includes(manifest.rootDigest))
    problems.push({
      document: EVIDENCE_FILES.reviewPacket,
      message: `does not show the root digest ${manifest.rootDigest}`,
    });
  return problems;
}
