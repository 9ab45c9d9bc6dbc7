import { lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readLockFile } from './lock-file.js';
import { removeQuietly } from './lock-io.js';

/** What {@link collectLeftovers} removed. */
export interface CollectedLeftovers {
  /** Names removed: temp and aside files older than the age, claims of generations gone. */
  removed: string[];
}

/**
 * Removes what crashed lock operations left beside the lock:
 * - temp files (`<lock>.tmp.*`), aside files (`<lock>.aside.*`) and
 *   write-file-atomic temps of the fence (`<lock>.fence.<n>`) whose mtime is
 *   older than `ageMs`. Removing one is always safe for the lock: the lock is
 *   its own name, and a creator stalled that long only sees its link fail
 *   with ENOENT and tries again;
 * - claim files (`<lock>.claim.<key>.<n>`) of generations that are no longer
 *   current. The names are listed before the lock is read, so a key that
 *   differs from the lock's was current once and never will be again (keys
 *   are nonces).
 *
 * @param path - the lock file.
 * @param options - `nowMs` the current time, `ageMs` the age after which a temp file is abandoned.
 * @returns the names removed.
 */
export function collectLeftovers(
  path: string,
  options: { nowMs: number; ageMs: number },
): CollectedLeftovers {
  const directory = dirname(path);
  const prefix = `${basename(path)}.`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(directory).filter((name) => name.startsWith(prefix));
  } catch {
    return { removed };
  }
  if (names.length === 0) return { removed };
  let currentKey: string | undefined | null;
  const keyNow = (): string | undefined | null => {
    if (currentKey === undefined) {
      try {
        currentKey = readLockFile(path)?.key ?? '';
      } catch {
        currentKey = null; // unreadable: keep every claim
      }
    }
    return currentKey;
  };
  // Read the lock once, after the listing, before judging any claim.
  if (names.some((name) => name.startsWith(`${prefix}claim.`))) keyNow();
  for (const name of names) {
    const rest = name.slice(prefix.length);
    const full = join(directory, name);
    if (rest.startsWith('claim.')) {
      const key = rest.slice('claim.'.length).split('.')[0];
      const current = keyNow();
      if (current !== null && key !== current) {
        removeQuietly(full);
        removed.push(name);
      }
      continue;
    }
    if (/^(tmp|aside)\.[0-9a-f]+$/.test(rest) || /^fence\.[0-9a-f]+$/.test(rest)) {
      try {
        if (options.nowMs - lstatSync(full).mtimeMs > options.ageMs) {
          removeQuietly(full);
          removed.push(name);
        }
      } catch {
        // gone meanwhile
      }
    }
  }
  return { removed };
}
