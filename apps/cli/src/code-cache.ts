import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDirectory } from '@runwarden/safe-fs';
import writeFileAtomic from 'write-file-atomic';

/** The first four bytes of a code cache file (the bin checks the same four). */
const CODE_CACHE_MAGIC = 'RWV8';

/** What {@link saveCodeCache} writes. */
export interface CodeCacheEntry {
  /** The cache file, `<cache dir>/runwarden/v8-<node version>-<arch>/<key>-<install>.v8`, chosen by the bin. */
  file: string;
  /** The command the cache is for, as typed (`status`, `ls`), or `program` (`--help`, `--version`). */
  key: string;
  /** The bundle the data was compiled from, byte for byte (`dist/cli.cjs`). */
  source: Buffer;
  /** V8's code cache of the bundle, made after the command ran (`vm.Script#createCachedData`). */
  data: Buffer;
}

/**
 * Writes the code cache of one command for the bin (`bin/runwarden.cjs`),
 * which reads it at the next start of that command: `RWV8`, the bundle's
 * length (uint32, little-endian), the bundle itself, then V8's data. The
 * bundle is kept whole because V8 checks only a cache's source length, and a
 * changed bundle of the same length must never run stale code: the bin
 * compares it byte for byte. The directory is private (0700, created with
 * `ensurePrivateDirectory`), the file 0600, written atomically
 * (write-file-atomic, without fsync: a torn file is only a cache miss).
 *
 * Made after the run, the cache holds every function the command compiled,
 * which is what makes a start fast; a cache made at compile time holds only
 * the top level (`produceCachedData`, as v8-compile-cache does), which
 * measured no faster here. Node's own compile cache (`module.enableCompileCache`,
 * Node >= 22.1) was measured slower than this on Node 24.
 *
 * Best effort: it never throws. A cache that cannot be written (a read-only
 * home, a directory of someone else) is left out, and the command runs
 * uncached next time too. Only the commands in `commandKeys` get a file, so a
 * mistyped command makes none.
 *
 * @param entry - the cache.
 * @param commandKeys - the command names and aliases, and `program`.
 */
export function saveCodeCache(entry: CodeCacheEntry, commandKeys: ReadonlySet<string>): void {
  if (!commandKeys.has(entry.key) || entry.data.length === 0) return;
  try {
    ensurePrivateDirectory(dirname(entry.file), { root: dirname(dirname(entry.file)) });
    // write-file-atomic writes through a symlink to its target: never follow one into state.
    if (lstatSync(entry.file, { throwIfNoEntry: false })?.isSymbolicLink()) return;
    const header = Buffer.alloc(8);
    header.write(CODE_CACHE_MAGIC, 0, 'latin1');
    header.writeUInt32LE(entry.source.length, 4);
    writeFileAtomic.sync(entry.file, Buffer.concat([header, entry.source, entry.data]), {
      mode: 0o600,
      fsync: false,
    });
  } catch {
    // A cache is never worth an error: the next start compiles as usual.
  }
}
