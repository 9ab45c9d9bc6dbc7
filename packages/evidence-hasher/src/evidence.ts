import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import {
  buildManifest,
  type EvidenceManifest,
  formatSha256Sums,
  serializeManifest,
} from './formats.js';
import { type CollectOptions, collectEntries } from './walk.js';

/** Options for {@link writeEvidence}. */
export interface WriteEvidenceOptions extends CollectOptions {
  /**
   * Where to write `SHA256SUMS` and `manifest.json`.
   * @default `<root>/evidence`
   */
  outDir?: string;
}

/** What {@link writeEvidence} wrote. */
export interface EvidenceResult {
  manifest: EvidenceManifest;
  /** Absolute path of `SHA256SUMS`. */
  sumsPath: string;
  /** Absolute path of `manifest.json`. */
  manifestPath: string;
  /** The directory to run `sha256sum -c <sumsPath>` from (the root). */
  checkFrom: string;
}

/**
 * Hashes `root` and writes `SHA256SUMS` (coreutils format; `sha256sum -c` passes
 * when run from `root`) and `manifest.json` into `outDir`. The output
 * directory, when inside the root, is left out of the hash.
 *
 * @throws {EvidenceError} `ERR_EVIDENCE_ROOT` when `root` is not a directory.
 */
export function writeEvidence(root: string, options: WriteEvidenceOptions = {}): EvidenceResult {
  const absoluteRoot = resolve(root);
  const outDir = resolve(options.outDir ?? join(absoluteRoot, 'evidence'));
  const exclude = [...(options.exclude ?? [])];
  const inside = relative(absoluteRoot, outDir);
  if (inside !== '' && !inside.startsWith('..') && !inside.startsWith(sep))
    exclude.push(inside.split(sep).join('/'));
  const entries = collectEntries(absoluteRoot, { ...options, exclude });
  const manifest = buildManifest(entries);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const sumsPath = join(outDir, 'SHA256SUMS');
  const manifestPath = join(outDir, 'manifest.json');
  writeFileSync(sumsPath, formatSha256Sums(entries), { mode: 0o600 });
  writeFileSync(manifestPath, serializeManifest(manifest), { mode: 0o600 });
  return { manifest, sumsPath, manifestPath, checkFrom: absoluteRoot };
}
