import { canonicalJson } from './canonical-json.js';
import { type CollisionGroup, findCollisions } from './collisions.js';
import type { EvidenceManifest } from './formats.js';

/** The `_type` of an in-toto Statement v1 (in-toto Attestation Framework, spec v1.0). */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

/** Our `predicateType`: a runwarden run and its evidence, version 1 (described in this package's README). */
export const RUN_PREDICATE_TYPE =
  'https://github.com/runwarden/runwarden/blob/main/packages/evidence-hasher/README.md#run-predicate-v1';

/** One process of a run, as `@runwarden/process-identity` captures it (any extra fields are kept). */
export interface ProcessRecord {
  pid: number;
  /** Start time, ms since the Unix epoch. */
  startTimeMs?: number;
  bootId?: string;
  machineId?: string;
  hostname?: string;
  /** What the process was: `runwarden`, `child`, `attempt-2`, … */
  role?: string;
  [field: string]: unknown;
}

/**
 * The run's own data for the predicate. Every field is optional; extra
 * fields are kept (they must be JSON). Times are ISO 8601 strings or ms.
 */
export interface RunPredicate {
  runId?: string;
  /** The command and its arguments, as run. */
  command?: string[];
  /** Working directory of the run. */
  cwd?: string;
  /** Timeouts in ms, by name: `missionMs`, `idleMs`, `startupMs`, `killGraceMs`, … */
  timeouts?: Record<string, number | undefined>;
  maxResumes?: number;
  /** The reason code (`OK`, `MISSION_TIMEOUT`, …; DESIGN.md's exit table). */
  reason?: string;
  /** The exit code runwarden ended with. */
  exitCode?: number;
  /** How the last attempt's process ended. */
  lastExit?: { code: number | null; signal: string | null } | null;
  /** ISO 8601 start time. */
  startedAt?: string;
  /** ISO 8601 end time. */
  finishedAt?: string;
  /** Wall time in ms. */
  durationMs?: number;
  attempts?: number;
  resumes?: number;
  /** Identities of the processes of the run (runwarden itself, the child, each attempt). */
  processes?: ProcessRecord[];
  [field: string]: unknown;
}

/** The evidence part of the predicate: the manifest's summary and the documents' digests. */
export interface EvidenceSummary {
  rootDigest: string;
  rootSha256: string;
  fileCount: number;
  totalBytes: number;
  /** Entries without a trustworthy digest. */
  incomplete: { path: string; status: 'unreadable' | 'unstable' }[];
  /** Names that collide after NFC normalisation or case folding. */
  collisions: CollisionGroup[];
  /** Hex SHA-256 of the other evidence documents, by file name (`manifest.json`, `SHA256SUMS`). */
  documents: Record<string, string>;
}

/** An in-toto Statement v1 with runwarden's run predicate. */
export interface InTotoStatement {
  _type: typeof STATEMENT_TYPE;
  /** Every hashed regular file, by its relative path. */
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: typeof RUN_PREDICATE_TYPE;
  predicate: { run?: RunPredicate; evidence: EvidenceSummary };
}

/**
 * Summarises a manifest for the predicate.
 *
 * @param manifest The manifest.
 * @param documents Hex SHA-256 of the other documents, by file name.
 * @param collisions The manifest's collision groups, when already computed.
 * @default collisions computed with `findCollisions`
 * @returns The summary.
 */
export function summarizeManifest(
  manifest: EvidenceManifest,
  documents: Record<string, string> = {},
  collisions: CollisionGroup[] = findCollisions(manifest.entries.map((entry) => entry.path)),
): EvidenceSummary {
  const incomplete: EvidenceSummary['incomplete'] = [];
  for (const entry of manifest.entries)
    if (entry.status) incomplete.push({ path: entry.path, status: entry.status });
  return {
    rootDigest: manifest.rootDigest,
    rootSha256: manifest.rootSha256,
    fileCount: manifest.fileCount,
    totalBytes: manifest.totalBytes,
    incomplete,
    collisions,
    documents,
  };
}

/**
 * Builds the in-toto Statement v1 for a manifest: one subject per hashed
 * regular file (name = relative path, digest = sha256), our
 * {@link RUN_PREDICATE_TYPE}, and a predicate with the run's data and the
 * evidence summary (in-toto/attestation `spec/v1/statement.md`).
 *
 * @param manifest The manifest.
 * @param options The run's data, the digests of the other documents, and the collision groups when already computed.
 * @returns The statement.
 */
export function buildStatement(
  manifest: EvidenceManifest,
  options: {
    run?: RunPredicate;
    documents?: Record<string, string>;
    collisions?: CollisionGroup[];
  } = {},
): InTotoStatement {
  const subject: InTotoStatement['subject'] = [];
  for (const entry of manifest.entries) {
    if (entry.type === 'file' && entry.sha256 && !entry.status)
      subject.push({ name: entry.path, digest: { sha256: entry.sha256 } });
  }
  const predicate: InTotoStatement['predicate'] = {
    evidence: summarizeManifest(manifest, options.documents, options.collisions),
  };
  if (options.run) predicate.run = options.run;
  return { _type: STATEMENT_TYPE, subject, predicateType: RUN_PREDICATE_TYPE, predicate };
}

/**
 * Serialises a statement canonically (see {@link canonicalJson}).
 *
 * @param statement The statement.
 * @returns The file's text.
 */
export function serializeStatement(statement: InTotoStatement): string {
  return canonicalJson(statement);
}
