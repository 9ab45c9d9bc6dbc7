import { isUtf8 } from 'node:buffer';
import { lstatSync, readdirSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { findCollisions } from './collisions.js';
import { EVIDENCE_DEFAULTS } from './defaults.js';
import { EvidenceError } from './errors.js';
import { type HashOutcome, hashWithRetriesSync } from './hash-file.js';
import {
  createHashPool,
  type HashFilesOptions,
  type HashRequest,
  POOL_THRESHOLD_BYTES,
} from './hash-pool.js';

/** One entry of the canonical list. */
export interface EvidenceEntry {
  /** Relative to the root, `/`-separated, no leading `./`. */
  path: string;
  /** `other` covers FIFOs, sockets and devices: recorded, never opened. */
  type: 'file' | 'symlink' | 'dir' | 'other';
  /** Any execute bit set (regular files only; `false` for the rest). */
  exec: boolean;
  /** File size in bytes (0 for everything but regular files). */
  size: number;
  /** Hex SHA-256 of the content: regular files whose content was read whole and stayed the same. */
  sha256?: string;
  /** The symlink's target text, recorded, never followed. */
  linkTarget?: string;
  /**
   * Why there is no digest: `unreadable` (open/read/readdir failed, e.g.
   * `EACCES`) or `unstable` (it kept changing while it was read).
   */
  status?: 'unreadable' | 'unstable';
  /** Set when another path collides with this one after NFC normalisation (`nfc`) or case folding (`case`). */
  collision?: 'nfc' | 'case';
}

/** Options for {@link collectEntries}. */
export interface CollectOptions {
  /**
   * Relative paths (files or directories) to leave out, e.g. `['evidence']`.
   * @default []
   */
  exclude?: string[];
  /**
   * Times to re-read a file that changed while it was hashed before marking it `unstable`.
   * @default EVIDENCE_DEFAULTS.retries (2)
   */
  retries?: number;
}

/** Options for {@link collectEntriesAsync}. */
export interface CollectAsyncOptions extends CollectOptions, Omit<HashFilesOptions, 'retries'> {}

/**
 * Compares two relative paths by their UTF-8 bytes, the order of `LC_ALL=C sort`
 * (not JavaScript's UTF-16 order, which puts U+1F600 before U+FF5E).
 *
 * @param a A path.
 * @param b Another path.
 * @returns A negative number, zero or a positive number, as `Array.prototype.sort` wants.
 */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Sorts entries by the UTF-8 bytes of their paths, encoding each key once
 * (the order of {@link compareUtf8}).
 *
 * @param entries Anything with a `path`.
 * @returns A new sorted array.
 */
export function sortEntries<T extends { path: string }>(entries: T[]): T[] {
  // Below U+D800, UTF-16 code units sort as UTF-8 bytes do: plain string
  // comparison gives the same order without encoding a key per entry.
  if (!entries.some((entry) => SURROGATE_OR_ABOVE.test(entry.path))) {
    return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
  const keyed = entries.map((entry) => ({ entry, key: Buffer.from(entry.path, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map((item) => item.entry);
}

/** Code units whose UTF-16 order differs from their UTF-8 order (surrogates sort below U+E000–U+FFFF). */
const SURROGATE_OR_ABOVE = /[\uD800-\uFFFF]/;

/** A regular file the walk found, still to be hashed. */
interface PendingFile {
  entry: EvidenceEntry;
  request: HashRequest;
}

function normaliseExclude(exclude: string[] | undefined): Set<string> {
  return new Set(
    (exclude ?? []).map((path) => path.replace(/^\.\//, '').replace(/\/+$/, '')).filter(Boolean),
  );
}

/**
 * The root, resolved once: a symlink given as the root itself is followed
 * (as `find -H` does with its arguments); nothing below it is.
 */
function resolveRoot(root: string): string {
  let resolved: string;
  let stat: Stats;
  try {
    resolved = realpathSync(root);
    stat = lstatSync(resolved);
  } catch (error) {
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_ROOT',
      path: root,
      message: `Cannot read evidence root ${root}: ${(error as Error).message}`,
      cause: error,
      hint: 'Pass an existing directory.',
    });
  }
  if (!stat.isDirectory()) {
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_ROOT',
      path: root,
      message: `Evidence root ${root} is not a directory.`,
      hint: 'Pass the directory that holds the artifacts.',
    });
  }
  return resolved;
}

/**
 * Walks the tree with `lstat` (never following a link) and returns the entries
 * plus the regular files still to hash. A directory that cannot be listed is
 * an `unreadable` entry; one replaced while it was listed is `unstable` and is
 * not descended into; a name that is not valid UTF-8 is an `unreadable` entry.
 */
function walk(
  root: string,
  exclude: Set<string>,
  onFile?: (files: number, bytes: number) => void,
): { entries: EvidenceEntry[]; files: PendingFile[] } {
  let fileBytes = 0;
  const entries: EvidenceEntry[] = [];
  const files: PendingFile[] = [];
  const visit = (
    relativeDir: string,
    absoluteDir: string,
    seen: Stats,
    self: EvidenceEntry | undefined,
  ) => {
    let names: Buffer[];
    try {
      // As bytes: a name that is not UTF-8 must not be mangled into one that does not exist.
      names = readdirSync(absoluteDir, { encoding: 'buffer' });
    } catch (error) {
      if (!self) {
        throw new EvidenceError({
          code: 'ERR_EVIDENCE_ROOT',
          path: absoluteDir,
          message: `Cannot list evidence root ${absoluteDir}: ${(error as Error).message}`,
          cause: error,
          hint: 'Hash a directory this user can read.',
        });
      }
      self.status = 'unreadable';
      return;
    }
    // The directory we listed must still be the one we lstat-ed (not swapped for a link).
    let again: Stats | undefined;
    try {
      again = lstatSync(absoluteDir);
    } catch {
      again = undefined;
    }
    if (!again?.isDirectory() || again.ino !== seen.ino || again.dev !== seen.dev) {
      if (self) self.status = 'unstable';
      return;
    }
    for (const raw of names) {
      const name = raw.toString('utf8');
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      if (exclude.has(relative)) continue;
      if (!isUtf8(raw)) {
        // Not UTF-8: JSON and SHA256SUMS-as-text cannot name it faithfully. Listed
        // (with U+FFFD in its path) as unreadable, never read, never skipped.
        const bytesPath = Buffer.concat([Buffer.from(`${absoluteDir}/`, 'utf8'), raw]);
        let type: EvidenceEntry['type'] = 'other';
        try {
          const stat = lstatSync(bytesPath);
          type = stat.isDirectory()
            ? 'dir'
            : stat.isSymbolicLink()
              ? 'symlink'
              : stat.isFile()
                ? 'file'
                : 'other';
        } catch {
          continue;
        }
        entries.push({ path: relative, type, exec: false, size: 0, status: 'unreadable' });
        continue;
      }
      // The directory is absolute and normalised (only `/` ends in one), and a name holds no `/`.
      const absolute = absoluteDir.endsWith('/')
        ? `${absoluteDir}${name}`
        : `${absoluteDir}/${name}`;
      let stat: Stats;
      try {
        stat = lstatSync(absolute);
      } catch {
        // Removed between readdir and lstat: not part of this tree any more.
        continue;
      }
      if (stat.isDirectory()) {
        const entry: EvidenceEntry = { path: relative, type: 'dir', exec: false, size: 0 };
        entries.push(entry);
        visit(relative, absolute, stat, entry);
      } else if (stat.isSymbolicLink()) {
        let linkTarget: string;
        try {
          linkTarget = readlinkSync(absolute);
        } catch {
          entries.push({
            path: relative,
            type: 'symlink',
            exec: false,
            size: 0,
            status: 'unstable',
          });
          continue;
        }
        entries.push({ path: relative, type: 'symlink', exec: false, size: 0, linkTarget });
      } else if (stat.isFile()) {
        const entry: EvidenceEntry = {
          path: relative,
          type: 'file',
          exec: (stat.mode & 0o111) !== 0,
          size: stat.size,
        };
        entries.push(entry);
        files.push({
          entry,
          request: {
            path: absolute,
            sizeBytes: stat.size,
            expected: { dev: stat.dev, ino: stat.ino },
          },
        });
        fileBytes += stat.size;
        onFile?.(files.length, fileBytes);
      } else {
        entries.push({ path: relative, type: 'other', exec: false, size: 0 });
      }
    }
  };
  visit('', root, lstatSync(root), undefined);
  return { entries, files };
}

function applyOutcome(entry: EvidenceEntry, outcome: HashOutcome): void {
  entry.size = outcome.sizeBytes > 0 || !outcome.status ? outcome.sizeBytes : entry.size;
  if (outcome.sha256 !== undefined && outcome.status === undefined) entry.sha256 = outcome.sha256;
  else entry.status = outcome.status;
}

function finish(entries: EvidenceEntry[]): EvidenceEntry[] {
  const sorted = sortEntries(entries);
  const paths = sorted.map((entry) => entry.path);
  const byPath = new Map(sorted.map((entry) => [entry.path, entry]));
  for (const group of findCollisions(paths)) {
    for (const path of group.paths) {
      const entry = byPath.get(path)!;
      if (entry.collision !== 'nfc') entry.collision = group.kind;
    }
  }
  return sorted;
}

/**
 * Walks `root` and returns the canonical entry list, sorted by UTF-8 bytes,
 * hashing on the calling thread (see {@link collectEntriesAsync} for the
 * worker pool). Symlinks are recorded, never followed; FIFOs, sockets and
 * devices are recorded as `other` and never opened; nothing outside the root
 * is read; a file that changes while it is read is retried, then `unstable`;
 * one that cannot be read is `unreadable` (not skipped); names that collide
 * after NFC or case folding carry `collision`.
 *
 * @param root The directory to hash (a symlink given as the root is followed, as `find -H` does).
 * @param options Paths to leave out and the retry count.
 * @returns The entries, sorted by the UTF-8 bytes of their paths.
 * @throws {EvidenceError} `ERR_EVIDENCE_ROOT` when `root` is missing or not a directory.
 */
export function collectEntries(root: string, options: CollectOptions = {}): EvidenceEntry[] {
  const resolved = resolveRoot(root);
  const { entries, files } = walk(resolved, normaliseExclude(options.exclude));
  const retries = options.retries ?? EVIDENCE_DEFAULTS.retries;
  for (const file of files)
    applyOutcome(file.entry, hashWithRetriesSync({ ...file.request, retries }));
  return finish(entries);
}

/**
 * {@link collectEntries} with the hashing on a `worker_threads` pool when the
 * tree holds enough bytes to pay for it (results are sorted afterwards, so the
 * list is the same byte for byte); the event loop stays free for a progress bar.
 *
 * @param root The directory to hash.
 * @param options Paths to leave out, retries, concurrency and a progress callback.
 * @returns The entries, sorted by the UTF-8 bytes of their paths.
 * @throws {EvidenceError} `ERR_EVIDENCE_ROOT` when `root` is missing or not a directory; `ERR_EVIDENCE_WORKER` when a worker fails.
 */
export async function collectEntriesAsync(
  root: string,
  options: CollectAsyncOptions = {},
): Promise<EvidenceEntry[]> {
  const resolved = resolveRoot(root);
  const pool = createHashPool({
    ...options,
    retries: options.retries ?? EVIDENCE_DEFAULTS.retries,
  });
  const threshold = options.poolThresholdBytes ?? POOL_THRESHOLD_BYTES;
  let walked: ReturnType<typeof walk>;
  try {
    // The workers start as soon as the walk has seen enough to hash, so that
    // their start-up (tens of ms each) overlaps the rest of the walk.
    walked = walk(resolved, normaliseExclude(options.exclude), (count, bytes) => {
      if (count > 1 && bytes >= threshold) pool.warm(count - 1);
    });
  } catch (error) {
    await pool.close();
    throw error;
  }
  const { entries, files } = walked;
  const outcomes = await pool.hash(files.map((file) => file.request));
  for (const [index, file] of files.entries()) applyOutcome(file.entry, outcomes[index]!);
  return finish(entries);
}
