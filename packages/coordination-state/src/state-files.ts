/**
 * The file primitives of the FileStore (records, archives, commitments): read
 * without following a symlink or blocking, replace atomically, create
 * directories 0700 from the store's root down, and the typed errors for a
 * file that is unusable or cannot be read or written.
 */

import { lstatSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import {
  ensurePrivateDirectory,
  errnoOf,
  readRegularFile,
  StatePathError,
  syncDirectory,
} from '@runwarden/safe-fs';
import writeFileAtomic from 'write-file-atomic';
import { CoordinationError } from './errors.js';

/** The runner token of the locks the FileStore takes (lock-core's `runnerToken`). */
export const LOCK_RUNNER_TOKEN = 'runwarden-coordination';

/**
 * The error for a state file that is corrupt, of an unknown version, or not
 * a regular file (CLI exit 7): it names the file, which is left as it is.
 *
 * @param path - the file.
 * @param detail - what is wrong with it (`it is not valid JSON`, …).
 * @param options - `cause`; `noun` for the message (default `Coordination state`);
 *   `purpose` of moving it aside (default `to let runs claim this target again`).
 * @returns the error (`ERR_INVALID_STATE`).
 */
export function unusableState(
  path: string,
  detail: string,
  options: { cause?: unknown; noun?: string; purpose?: string } = {},
): CoordinationError {
  const noun = options.noun ?? 'Coordination state';
  const purpose = options.purpose ?? 'to let runs claim this target again';
  return new CoordinationError({
    code: 'ERR_INVALID_STATE',
    message: `${noun} ${path} is unusable: ${detail}. It was left exactly as it was.`,
    path,
    cause: options.cause,
    hint: `Inspect ${path}; move it aside (or restore it from a backup) ${purpose}.`,
  });
}

/**
 * A file-system failure of the store, with the path and a way out (CLI exit 7).
 *
 * @param path - the file or directory.
 * @param doing - what failed (`read`, `write`, `create`, `open`).
 * @param error - the error thrown.
 * @returns the error (`ERR_STORE_IO`).
 */
export function storeIo(path: string, doing: string, error: unknown): CoordinationError {
  const errno = StatePathError.isInstance(error) ? error.errno : errnoOf(error);
  return new CoordinationError({
    code: 'ERR_STORE_IO',
    message: `Cannot ${doing} ${path}: ${errno ?? (error as Error)?.message ?? String(error)}.`,
    path,
    cause: error,
    hint:
      errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS'
        ? `Make ${dirname(path)} writable by this user (mode 0700), or point --coordination-dir (or --state-dir) elsewhere.`
        : `Check ${dirname(path)} (space, permissions), or point --coordination-dir (or --state-dir) elsewhere.`,
  });
}

/**
 * Reads a state file without following a symlink and without blocking (a
 * FIFO or socket is refused at once), at most `maxBytes`.
 *
 * @param path - the file.
 * @param maxBytes - the most bytes read; a larger file is unusable.
 * @returns its text, or `null` when it does not exist.
 * @throws {CoordinationError} `ERR_INVALID_STATE` for a symlink, a non-regular or too large file; `ERR_STORE_IO`.
 */
export function readPrivateFile(path: string, maxBytes: number): string | null {
  try {
    return readRegularFile(path, { maxBytes })?.bytes.toString('utf8') ?? null;
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    switch (error.problem) {
      case 'symlink':
        throw unusableState(
          path,
          'it is a symlink, and runwarden never follows a symlink into state',
          { cause: error },
        );
      case 'too-large':
        throw unusableState(path, `it is larger than ${maxBytes} bytes`, { cause: error });
      case 'io':
        throw storeIo(path, 'read', error);
      default:
        throw unusableState(
          path,
          error.message.replace(`${path} is `, 'it is ').replace(/\.$/, ''),
          { cause: error },
        );
    }
  }
}

/**
 * Replaces a state file atomically (write-file-atomic: temp file, fsync,
 * rename; mode 0600), then fsyncs its directory so the rename survives a power loss.
 *
 * @param path - the file.
 * @param body - its whole new content.
 * @throws {CoordinationError} `ERR_STORE_IO` when it cannot be written.
 */
export function writePrivateFile(path: string, body: string): void {
  try {
    writeFileAtomic.sync(path, body, { mode: 0o600, fsync: true });
  } catch (error) {
    throw storeIo(path, 'write', error);
  }
  syncDirectory(dirname(path));
}

/**
 * Refuses a symlink (or a file) in place of a directory between `root` and
 * `path`, without creating anything: a read follows no link into state either.
 *
 * @param root - the store's directory.
 * @param path - a file below it.
 * @returns `false` when a directory on the way is missing.
 * @throws {CoordinationError} `ERR_INVALID_STATE` for a symlink or non-directory; `ERR_STORE_IO`.
 */
export function directoriesExist(root: string, path: string): boolean {
  const below = relative(root, dirname(path));
  let current = root;
  for (const name of ['', ...(below === '' ? [] : below.split(sep))]) {
    current = name === '' ? current : join(current, name);
    let stat: ReturnType<typeof lstatSync>;
    try {
      stat = lstatSync(current);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return false;
      throw storeIo(current, 'read', error);
    }
    if (!stat.isDirectory()) {
      throw unusableState(
        current,
        stat.isSymbolicLink()
          ? 'it is a symlink, and runwarden never follows a symlink into state'
          : 'it is not a directory',
      );
    }
  }
  return true;
}

/**
 * Creates the directory of `path` one component at a time from `root` down
 * (the one state-directory rule of `@runwarden/safe-fs`): 0700, and a
 * symlink is refused before any mkdir through it.
 *
 * @param root - the store's directory.
 * @param path - a file to be written below it.
 * @throws {CoordinationError} `ERR_INVALID_STATE` for a symlink or a directory others may write; `ERR_STORE_IO`.
 */
export function ensureStateDirectory(root: string, path: string): void {
  try {
    ensurePrivateDirectory(dirname(path), { root });
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    if (error.problem === 'io') throw storeIo(error.path, 'create', error);
    throw new CoordinationError({
      code: 'ERR_INVALID_STATE',
      message: `${error.message} The coordination state was left as it is.`,
      path: error.path,
      cause: error,
      hint:
        error.problem === 'writable-by-others'
          ? `Use a coordination directory only this user may write (chmod 0700 ${error.path}).`
          : 'Point the coordination directory at a real directory (runwarden never follows a symlink into state).',
    });
  }
}
