import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import type { EvidenceEntry } from './walk.js';

/**
 * Formats one `sha256sum` line in GNU coreutils' format: `<hex>  <name>`; a
 * name holding `\`, newline or CR is escaped (`\\`, `\n`, `\r`) and the line
 * starts with `\` (GNU coreutils manual, "md5sum invocation": file names with
 * backslash or newline; coreutils 9 also escapes CR).
 *
 * @param sha256 Hex digest.
 * @param name The name as `sha256sum -c` should open it.
 * @returns The line, with its newline.
 */
export function formatSumsLine(sha256: string, name: string): string {
  if (/[\\\n\r]/.test(name)) {
    return `\\${sha256}  ${escapeSumsName(name)}\n`;
  }
  return `${sha256}  ${name}\n`;
}

/**
 * A name as GNU `sha256sum` prints it: `\` → `\\`, newline → `\n`, CR → `\r`.
 *
 * @param name A file name.
 * @returns The escaped name (unchanged when it holds none of the three).
 */
export function escapeSumsName(name: string): string {
  return name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * `SHA256SUMS` text for every hashed regular file, in the list's order; paths
 * are relative to `prefix` (default the root itself), so `sha256sum -c` passes
 * when run from there. Files without a digest (`unreadable`, `unstable`) are
 * left out: the manifest lists them with their status.
 *
 * @param entries The canonical list.
 * @param prefix Prepended to every path.
 * @default prefix ''
 * @returns The file's text.
 */
export function formatSha256Sums(entries: readonly EvidenceEntry[], prefix = ''): string {
  let text = '';
  for (const entry of entries) {
    if (entry.type === 'file' && entry.sha256 && !entry.status)
      text += formatSumsLine(entry.sha256, `${prefix}${entry.path}`);
  }
  return text;
}

/** One parsed line of a `SHA256SUMS` file. */
export interface SumsLine {
  sha256: string;
  /** The name, unescaped. */
  path: string;
  /** 1-based line number. */
  lineNumber: number;
}

/** What {@link parseSha256Sums} found. */
export interface ParsedSums {
  lines: SumsLine[];
  /** Lines that are not GNU `sha256sum` lines, with their 1-based numbers. */
  problems: { lineNumber: number; message: string }[];
}

/**
 * Parses GNU `sha256sum` output (text ` ` or binary `*` mode, escaped names
 * after a leading `\`), the inverse of {@link formatSumsLine}.
 *
 * @param text The file's text.
 * @returns The lines, and the numbers of lines that are not in that format.
 */
export function parseSha256Sums(text: string): ParsedSums {
  const parsed: ParsedSums = { lines: [], problems: [] };
  const rows = text.split('\n');
  if (rows.at(-1) === '') rows.pop();
  for (const [index, row] of rows.entries()) {
    const match = /^(\\?)([0-9a-fA-F]{64}) [ *](.*)$/s.exec(row);
    if (!match) {
      parsed.problems.push({
        lineNumber: index + 1,
        message: 'not a GNU sha256sum line (<64 hex>  <name>)',
      });
      continue;
    }
    const path = match[1]
      ? match[3]!.replace(/\\(.)/g, (whole, next: string) =>
          next === 'n' ? '\n' : next === 'r' ? '\r' : next === '\\' ? '\\' : whole,
        )
      : match[3]!;
    parsed.lines.push({ sha256: match[2]!.toLowerCase(), path, lineNumber: index + 1 });
  }
  return parsed;
}

/**
 * The manifest version written now: 2, whose root digest is Go's `h1:`
 * ({@link rootDigest}). Version 1 manifests carry the earlier `./`-prefixed
 * root ({@link legacyRootDigest}) and still verify.
 */
export const MANIFEST_SCHEMA_VERSION = 2;

/** The manifest versions this package reads. */
export const MANIFEST_SCHEMA_VERSIONS = [1, 2] as const;

/** Hashes the lines of every hashed regular file, in the list's order, in large pieces. */
function digestLines(
  entries: readonly EvidenceEntry[],
  line: (sha256: string, path: string) => string,
): { h1: string; hex: string } {
  const hash = createHash('sha256');
  // Lines are gathered and hashed in large pieces: one update per line costs more than the hash.
  let pending = '';
  for (const entry of entries) {
    if (entry.type === 'file' && entry.sha256 && !entry.status) {
      pending += line(entry.sha256, entry.path);
      if (pending.length >= 1 << 20) {
        hash.update(pending);
        pending = '';
      }
    }
  }
  hash.update(pending);
  const digest = hash.digest();
  return { h1: `h1:${digest.toString('base64')}`, hex: digest.toString('hex') };
}

/**
 * The root digest of a tree, equal to Go's
 * `golang.org/x/mod/sumdb/dirhash.HashDir(dir, "", dirhash.Hash1)` (the `h1:`
 * of `go.sum`): SHA-256 over one line `"<hex>  <path>\n"` per hashed regular
 * file, `<path>` relative to the root with `/` separators and written as it
 * is (a `\` or a CR too, as Go writes them), in UTF-8 byte order (Go's
 * `sort.Strings`), as `h1:` + base64. In hex it is what
 * `find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum`
 * prints for names without `\`, CR or newline (coreutils escapes those).
 *
 * Where Go gives no digest, runwarden still gives one, and it has no Go
 * counterpart: Go refuses a name holding a newline (`dirhash: filenames with
 * newlines are not supported`); runwarden writes that file's line as GNU
 * `sha256sum` does (`\<hex>  a\nb`, the name escaped), which no Go line can
 * equal (those begin with a hex digit). Go also follows symlinks and hashes
 * names that are not UTF-8; runwarden records symlinks without following
 * them and lists such names as unreadable, and neither is in the root, so a
 * tree with them has a root Go does not reproduce.
 *
 * @param entries The canonical list (sorted).
 * @returns `h1` (`h1:` + base64, as Go prints it) and `hex`.
 */
export function rootDigest(entries: readonly EvidenceEntry[]): { h1: string; hex: string } {
  return digestLines(entries, (sha256, path) =>
    path.includes('\n') ? formatSumsLine(sha256, path) : `${sha256}  ${path}\n`,
  );
}

/**
 * The root digest of manifest schema version 1 (runwarden before the Go
 * root): SHA-256 of the GNU `sha256sum` lines `"<hex>  ./<path>\n"`, names
 * with `\`, CR or newline escaped, as `find . -type f | LC_ALL=C sort | xargs
 * sha256sum | sha256sum` prints it in hex. Kept only so evidence written
 * before still verifies.
 *
 * @param entries The canonical list (sorted).
 * @returns `h1` and `hex`.
 */
export function legacyRootDigest(entries: readonly EvidenceEntry[]): { h1: string; hex: string } {
  return digestLines(entries, (sha256, path) => formatSumsLine(sha256, `./${path}`));
}

/**
 * The root digest a manifest of `schemaVersion` carries: {@link rootDigest}
 * for version 2, {@link legacyRootDigest} for version 1.
 *
 * @param schemaVersion The manifest's version.
 * @param entries The canonical list (sorted).
 * @returns `h1` and `hex`.
 */
export function rootDigestFor(
  schemaVersion: EvidenceManifest['schemaVersion'],
  entries: readonly EvidenceEntry[],
): { h1: string; hex: string } {
  return schemaVersion === 1 ? legacyRootDigest(entries) : rootDigest(entries);
}

/** The JSON manifest: canonical key order and no timestamps, so the same tree gives the same bytes. */
export interface EvidenceManifest {
  /**
   * Version of this shape, and of its root: 2 (written now) carries Go's `h1:`
   * root ({@link rootDigest}), 1 the earlier `./`-prefixed one
   * ({@link legacyRootDigest}); readers refuse other versions.
   */
  schemaVersion: 1 | 2;
  algorithm: 'sha256';
  /** The root digest, `h1:` + base64 (see {@link rootDigestFor}). */
  rootDigest: string;
  /** The same digest in hex. */
  rootSha256: string;
  /** Regular files in the tree (hashed or not). */
  fileCount: number;
  /** Sum of the regular files' sizes, in bytes. */
  totalBytes: number;
  /** The root, relative to the manifest's directory (`..` for `<root>/evidence/manifest.json`); absent when unknown. */
  root?: string;
  /** Relative paths left out of the hash (the evidence directory itself when it lies inside the root). */
  exclude?: string[];
  /** The canonical list, sorted by the UTF-8 bytes of the paths. */
  entries: EvidenceEntry[];
}

/** Where the root lies and what was left out, for {@link buildManifest}. */
export interface ManifestLocation {
  /** The root relative to the manifest's directory, `/`-separated. */
  root?: string;
  /** Relative paths left out of the hash. */
  exclude?: string[];
}

/**
 * Builds the {@link EvidenceManifest} for a list.
 *
 * @param entries The canonical list (sorted).
 * @param location Where the root lies relative to the manifest, and what was left out.
 * @returns The manifest.
 */
export function buildManifest(
  entries: readonly EvidenceEntry[],
  location: ManifestLocation = {},
): EvidenceManifest {
  const digest = rootDigest(entries);
  let fileCount = 0;
  let totalBytes = 0;
  for (const entry of entries) {
    if (entry.type === 'file') {
      fileCount++;
      totalBytes += entry.size;
    }
  }
  const manifest: EvidenceManifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    algorithm: 'sha256',
    rootDigest: digest.h1,
    rootSha256: digest.hex,
    fileCount,
    totalBytes,
    entries: entries.map((entry) => {
      const copy: EvidenceEntry = {
        path: entry.path,
        type: entry.type,
        exec: entry.exec,
        size: entry.size,
      };
      if (entry.sha256 !== undefined) copy.sha256 = entry.sha256;
      if (entry.linkTarget !== undefined) copy.linkTarget = entry.linkTarget;
      if (entry.status !== undefined) copy.status = entry.status;
      if (entry.collision !== undefined) copy.collision = entry.collision;
      return copy;
    }),
  };
  if (location.root !== undefined) manifest.root = location.root;
  if (location.exclude && location.exclude.length > 0) manifest.exclude = [...location.exclude];
  return manifest;
}

/**
 * Serialises a manifest canonically (sorted keys, two-space indent, trailing
 * newline; see {@link canonicalJson}): the same tree gives the same bytes.
 *
 * @param manifest The manifest.
 * @returns The file's text.
 */
export function serializeManifest(manifest: EvidenceManifest): string {
  return canonicalJson(manifest);
}
