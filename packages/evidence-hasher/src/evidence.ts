import { createHash } from 'node:crypto';
import { lstatSync, realpathSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ensurePrivateDirectory } from '@runwarden/safe-fs';
import writeFileAtomic from 'write-file-atomic';
import { findCollisions } from './collisions.js';
import {
  EVIDENCE_FILES,
  EVIDENCE_FORMATS,
  type EvidenceFormat,
  FORMAT_FILES,
} from './documents.js';
import { EvidenceError } from './errors.js';
import {
  buildManifest,
  type EvidenceManifest,
  formatSha256Sums,
  serializeManifest,
} from './formats.js';
import {
  buildStatement,
  type InTotoStatement,
  type RunPredicate,
  serializeStatement,
} from './in-toto.js';
import { formatReviewPacket } from './review-packet.js';
import {
  type CollectAsyncOptions,
  type CollectOptions,
  collectEntries,
  collectEntriesAsync,
  type EvidenceEntry,
} from './walk.js';

/** Options for {@link writeEvidence}. */
export interface WriteEvidenceOptions extends CollectOptions {
  /**
   * Where to write the documents (created 0700; files 0600).
   * @default `<root>/evidence`
   */
  outDir?: string;
  /**
   * Which documents to write.
   * @default all: `['sums', 'json', 'intoto', 'md']`
   */
  formats?: EvidenceFormat[];
  /**
   * The run's data for the in-toto predicate and the review packet (command, timeouts, reason, exit code, times, processes).
   * @default none: the statement's predicate then holds only the evidence summary
   */
  predicate?: RunPredicate;
}

/** Options for {@link writeEvidenceAsync}: {@link WriteEvidenceOptions} plus the worker pool's. */
export interface WriteEvidenceAsyncOptions extends WriteEvidenceOptions, CollectAsyncOptions {}

/** What {@link writeEvidence} wrote. */
export interface EvidenceResult {
  manifest: EvidenceManifest;
  statement: InTotoStatement;
  /** Absolute path of `SHA256SUMS`. */
  sumsPath: string;
  /** Absolute path of `manifest.json`. */
  manifestPath: string;
  /** Absolute path of `statement.intoto.json`. */
  statementPath: string;
  /** Absolute path of `review-packet.md`. */
  reviewPacketPath: string;
  /** Absolute paths of the files written, in the order written. */
  written: string[];
  /** The directory to run `sha256sum -c <sumsPath>` from (the root). */
  checkFrom: string;
}

/** The documents' texts, by format. */
export type EvidenceTexts = Record<EvidenceFormat, string>;

/** Options for {@link renderEvidence}. */
export interface RenderOptions {
  /**
   * Where the root lies relative to the evidence directory, and what was left out.
   * @default none: the manifest then has no `root`, and verify needs one given
   */
  location?: { root?: string; exclude?: string[] };
  /**
   * The run's data.
   * @default none
   */
  predicate?: RunPredicate;
  /**
   * `SHA256SUMS` relative to the root, for the review packet's "check it" line.
   * @default 'evidence/SHA256SUMS'
   */
  sumsPathFromRoot?: string;
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Renders every evidence document from one entry list: `SHA256SUMS`, the
 * canonical manifest, the in-toto statement (recording the digests of the
 * first two) and the Markdown review packet. Pure: the same list gives the
 * same bytes.
 *
 * @param entries The canonical list.
 * @param options Where the root lies, the run's data.
 * @returns The manifest, the statement and the texts by format.
 */
export function renderEvidence(
  entries: readonly EvidenceEntry[],
  options: RenderOptions = {},
): { manifest: EvidenceManifest; statement: InTotoStatement; texts: EvidenceTexts } {
  const manifest = buildManifest(entries, options.location);
  const sums = formatSha256Sums(manifest.entries);
  const json = serializeManifest(manifest);
  const collisions = findCollisions(manifest.entries.map((entry) => entry.path));
  const statement = buildStatement(manifest, {
    run: options.predicate,
    collisions,
    documents: {
      [EVIDENCE_FILES.manifest]: sha256Hex(json),
      [EVIDENCE_FILES.sums]: sha256Hex(sums),
    },
  });
  const md = formatReviewPacket(manifest, {
    run: options.predicate,
    sumsPathFromRoot: options.sumsPathFromRoot,
    collisions,
  });
  return { manifest, statement, texts: { sums, json, intoto: serializeStatement(statement), md } };
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

interface Layout {
  root: string;
  outDir: string;
  exclude: string[];
  location: { root: string; exclude: string[] };
  sumsPathFromRoot: string;
}

/** Resolves the root, creates the output directory and decides what is left out. */
function prepare(root: string, options: WriteEvidenceOptions): Layout {
  let absoluteRoot: string;
  try {
    absoluteRoot = realpathSync(root);
    if (!lstatSync(absoluteRoot).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_ROOT',
      path: root,
      message: `Evidence root ${root} is missing or not a directory.`,
      cause: error,
      hint: 'Pass the directory that holds the artifacts.',
    });
  }
  const requested = resolve(options.outDir ?? join(absoluteRoot, 'evidence'));
  let outDir: string;
  try {
    // The one state-directory rule (@runwarden/safe-fs): 0700, no symlink, no one else's.
    ensurePrivateDirectory(requested);
    outDir = realpathSync(requested);
  } catch (error) {
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_OUTPUT',
      path: requested,
      message: `Cannot use ${requested} for evidence: ${(error as Error).message}.`,
      cause: error,
      hint: 'Pass --out a real directory (evidence is never written through a symlink).',
    });
  }
  const exclude = [...(options.exclude ?? [])];
  const inside = relative(absoluteRoot, outDir);
  // The evidence never hashes itself: its directory, or its files when written into the root.
  if (inside === '') exclude.push(...Object.values(EVIDENCE_FILES));
  else if (!inside.startsWith('..') && !inside.startsWith(sep)) exclude.push(toPosix(inside));
  const normalized = [
    ...new Set(exclude.map((path) => path.replace(/^\.\//, '').replace(/\/+$/, ''))),
  ]
    .filter(Boolean)
    .sort();
  const sumsFromRoot = toPosix(relative(absoluteRoot, join(outDir, EVIDENCE_FILES.sums)));
  return {
    root: absoluteRoot,
    outDir,
    exclude: normalized,
    location: { root: toPosix(relative(outDir, absoluteRoot)) || '.', exclude: normalized },
    sumsPathFromRoot: sumsFromRoot,
  };
}

function write(
  layout: Layout,
  entries: EvidenceEntry[],
  options: WriteEvidenceOptions,
): EvidenceResult {
  const rendered = renderEvidence(entries, {
    location: layout.location,
    predicate: options.predicate,
    sumsPathFromRoot: layout.sumsPathFromRoot,
  });
  const written: string[] = [];
  for (const format of EVIDENCE_FORMATS) {
    if (options.formats && !options.formats.includes(format)) continue;
    const path = join(layout.outDir, FORMAT_FILES[format]);
    try {
      writeFileAtomic.sync(path, rendered.texts[format], { mode: 0o600 });
    } catch (error) {
      throw new EvidenceError({
        code: 'ERR_EVIDENCE_OUTPUT',
        path,
        message: `Cannot write ${path}: ${(error as Error).message}`,
        cause: error,
        hint: 'Check the space and permissions of the output directory.',
      });
    }
    written.push(path);
  }
  return {
    manifest: rendered.manifest,
    statement: rendered.statement,
    sumsPath: join(layout.outDir, EVIDENCE_FILES.sums),
    manifestPath: join(layout.outDir, EVIDENCE_FILES.manifest),
    statementPath: join(layout.outDir, EVIDENCE_FILES.statement),
    reviewPacketPath: join(layout.outDir, EVIDENCE_FILES.reviewPacket),
    written,
    checkFrom: layout.root,
  };
}

/**
 * Hashes `root` on the calling thread and writes its evidence into `outDir`:
 * `SHA256SUMS` (coreutils format; `sha256sum -c` passes when run from
 * `root`), `manifest.json` (canonical), `statement.intoto.json` (in-toto
 * Statement v1 with the run's predicate) and `review-packet.md`. Each file is
 * written atomically (write-file-atomic), mode 0600. The output directory,
 * when inside the root, is left out of the hash. For large trees prefer
 * {@link writeEvidenceAsync}, which hashes on a worker pool.
 *
 * @param root The directory to hash.
 * @param options Output directory, formats, the run's predicate, exclusions.
 * @returns The manifest, the statement and the paths written.
 * @throws {EvidenceError} `ERR_EVIDENCE_ROOT` when `root` is not a directory; `ERR_EVIDENCE_OUTPUT` when the output cannot be written.
 */
export function writeEvidence(root: string, options: WriteEvidenceOptions = {}): EvidenceResult {
  const layout = prepare(root, options);
  const entries = collectEntries(layout.root, { ...options, exclude: layout.exclude });
  return write(layout, entries, options);
}

/**
 * {@link writeEvidence} with the hashing on a `worker_threads` pool (see
 * {@link collectEntriesAsync}); the documents are byte for byte the same.
 *
 * @param root The directory to hash.
 * @param options Output directory, formats, predicate, exclusions, concurrency, progress.
 * @returns The manifest, the statement and the paths written.
 * @throws {EvidenceError} `ERR_EVIDENCE_ROOT`, `ERR_EVIDENCE_OUTPUT` or `ERR_EVIDENCE_WORKER`.
 */
export async function writeEvidenceAsync(
  root: string,
  options: WriteEvidenceAsyncOptions = {},
): Promise<EvidenceResult> {
  const layout = prepare(root, options);
  const entries = await collectEntriesAsync(layout.root, { ...options, exclude: layout.exclude });
  return write(layout, entries, options);
}
