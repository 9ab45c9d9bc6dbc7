import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { EvidenceError } from './errors.js';
import { hashFileSync } from './hash-file.js';

/** One entry of the canonical list. */
export interface EvidenceEntry {
  /** Relative to the root, `/`-separated, no leading `./`. */
  path: string;
  type: 'file' | 'symlink' | 'dir' | 'other';
  /** Any execute bit set (files only). */
  exec: boolean;
  /** File size in bytes (0 for others). */
  size: number;
  /** Hex SHA-256 of the content (files only), of the link target text (symlinks). */
  sha256?: string;
  /** The symlink's target, recorded, never followed. */
  linkTarget?: string;
  /** Why a file could not be hashed (`EACCES`, …) or was unstable. */
  status?: 'unreadable' | 'unstable';
}

/** Options for {@link collectEntries}. */
export interface CollectOptions {
  /** Relative paths (files or directories) to leave out, e.g. `['evidence']`. */
  exclude?: string[];
  /**
   * Times to re-read a file that changed while it was hashed before marking it `unstable`.
   * @default 2
   */
  retries?: number;
}

/** Compares two relative paths by their UTF-8 bytes, the order of `LC_ALL=C sort`. */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Walks `root` and returns the canonical entry list, sorted by UTF-8 bytes.
 * Symlinks are recorded, never followed; FIFOs, sockets and devices are
 * recorded as `other` and never opened; nothing outside the root is read.
 *
 * @throws {EvidenceError} `ERR_EVIDENCE_ROOT` when `root` is not a directory.
 */
export function collectEntries(root: string, options: CollectOptions = {}): EvidenceEntry[] {
  const exclude = new Set(
    (options.exclude ?? []).map((path) => path.replace(/^\.\//, '').replace(/\/$/, '')),
  );
  const retries = options.retries ?? 2;
  let rootStat: ReturnType<typeof lstatSync>;
  try {
    rootStat = lstatSync(root);
  } catch (error) {
    throw new EvidenceError(
      'ERR_EVIDENCE_ROOT',
      root,
      `Cannot read evidence root ${root}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!rootStat.isDirectory()) {
    throw new EvidenceError('ERR_EVIDENCE_ROOT', root, `Evidence root ${root} is not a directory.`);
  }
  const entries: EvidenceEntry[] = [];
  const visit = (relativeDir: string) => {
    const absoluteDir = relativeDir === '' ? root : join(root, relativeDir);
    for (const name of readdirSync(absoluteDir)) {
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      if (exclude.has(relative)) continue;
      const absolute = join(absoluteDir, name);
      const stat = lstatSync(absolute);
      if (stat.isDirectory()) {
        entries.push({ path: relative, type: 'dir', exec: false, size: 0 });
        visit(relative);
      } else if (stat.isSymbolicLink()) {
        const linkTarget = readlinkSync(absolute);
        entries.push({ path: relative, type: 'symlink', exec: false, size: 0, linkTarget });
      } else if (stat.isFile()) {
        const entry: EvidenceEntry = {
          path: relative,
          type: 'file',
          exec: (stat.mode & 0o111) !== 0,
          size: stat.size,
        };
        for (let attempt = 0; ; attempt++) {
          try {
            const digest = hashFileSync(absolute);
            entry.sha256 = digest.sha256;
            entry.size = digest.sizeBytes;
            if (!digest.changedWhileReading) {
              delete entry.status;
              break;
            }
            entry.status = 'unstable';
            if (attempt >= retries) break;
          } catch {
            entry.status = 'unreadable';
            delete entry.sha256;
            break;
          }
        }
        entries.push(entry);
      } else {
        entries.push({ path: relative, type: 'other', exec: false, size: 0 });
      }
    }
  };
  visit('');
  return entries.sort((a, b) => compareUtf8(a.path, b.path));
}
