import { createHash } from 'node:crypto';
import type { EvidenceEntry } from './walk.js';

/**
 * Formats one `sha256sum` line in GNU coreutils' format: `<hex>  <name>`; a
 * name holding `\`, newline or CR is escaped (`\\`, `\n`, `\r`) and the line
 * starts with `\` (coreutils `sha256sum` manual, "--tag" and escaping).
 */
export function formatSumsLine(sha256: string, name: string): string {
  if (/[\\\n\r]/.test(name)) {
    const escaped = name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
    return `\\${sha256}  ${escaped}\n`;
  }
  return `${sha256}  ${name}\n`;
}

/**
 * `SHA256SUMS` text for every hashed regular file, in the list's order; paths
 * are relative to `prefix` (default the root itself), so `sha256sum -c` passes
 * when run from there.
 */
export function formatSha256Sums(entries: EvidenceEntry[], prefix = ''): string {
  let text = '';
  for (const entry of entries) {
    if (entry.type === 'file' && entry.sha256)
      text += formatSumsLine(entry.sha256, `${prefix}${entry.path}`);
  }
  return text;
}

/**
 * The root digest of a tree: Go's `dirhash.Hash1` over `./<path>` for every
 * regular file, i.e. SHA-256 of the lines `"<hex>  ./<path>\n"` in byte order.
 * `find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum` prints the
 * same digest in hex.
 *
 * @returns `h1` (`h1:` + base64, as Go prints it) and `hex`.
 */
export function rootDigest(entries: EvidenceEntry[]): { h1: string; hex: string } {
  const hash = createHash('sha256');
  for (const entry of entries) {
    if (entry.type === 'file' && entry.sha256) hash.update(`${entry.sha256}  ./${entry.path}\n`);
  }
  const digest = hash.digest();
  return { h1: `h1:${digest.toString('base64')}`, hex: digest.toString('hex') };
}

/** The JSON manifest: canonical key order and no timestamps, so the same tree gives the same bytes. */
export interface EvidenceManifest {
  schemaVersion: 1;
  algorithm: 'sha256';
  /** Go `h1:` dirhash over the regular files. */
  rootDigest: string;
  /** The same digest in hex. */
  rootSha256: string;
  fileCount: number;
  totalBytes: number;
  entries: EvidenceEntry[];
}

/** Builds the {@link EvidenceManifest} for a list. */
export function buildManifest(entries: EvidenceEntry[]): EvidenceManifest {
  const digest = rootDigest(entries);
  let fileCount = 0;
  let totalBytes = 0;
  for (const entry of entries) {
    if (entry.type === 'file') {
      fileCount++;
      totalBytes += entry.size;
    }
  }
  return {
    schemaVersion: 1,
    algorithm: 'sha256',
    rootDigest: digest.h1,
    rootSha256: digest.hex,
    fileCount,
    totalBytes,
    entries: entries.map((entry) => {
      const ordered: EvidenceEntry = {
        path: entry.path,
        type: entry.type,
        exec: entry.exec,
        size: entry.size,
      };
      if (entry.sha256 !== undefined) ordered.sha256 = entry.sha256;
      if (entry.linkTarget !== undefined) ordered.linkTarget = entry.linkTarget;
      if (entry.status !== undefined) ordered.status = entry.status;
      return ordered;
    }),
  };
}

/** Serialises a manifest deterministically (two-space JSON, trailing newline). */
export function serializeManifest(manifest: EvidenceManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
