import { closeSync, lstatSync, readSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ensurePrivateDirectory,
  errnoOf,
  openAppendFile,
  openRegularFile,
  readRegularFile,
  StatePathError,
} from '@runwarden/safe-fs';
import writeFileAtomic from 'write-file-atomic';
import { SUPERVISOR_DEFAULTS } from './defaults.js';
import { SupervisorError } from './errors.js';

/**
 * The supervisor's typed error for a state path that cannot be used safely
 * (`ERR_STATE`, exit 7), naming the path; the file is left as it is.
 *
 * @param error - a `StatePathError` of `@runwarden/safe-fs`, or anything else (returned as is).
 * @returns the error to throw.
 */
export function stateError(error: unknown): unknown {
  if (!StatePathError.isInstance(error)) return error;
  return new SupervisorError({
    code: 'ERR_STATE',
    reason: 'INVALID_STATE',
    message: error.message,
    cause: error,
    hint: `It is kept as it is; move ${error.path} aside and start again.`,
    data: { path: error.path, problem: error.problem },
  });
}

/**
 * Creates a directory under the state directory by the safe-fs rule
 * (`ensurePrivateDirectory`: each component from the state directory down
 * made 0700 one at a time, never through a symlink, nothing another user may
 * write). The state directory gets a `.gitignore` holding `*`.
 *
 * @param stateDir - the state directory.
 * @param path - the directory, inside it (or it). @default stateDir
 * @throws {SupervisorError} `ERR_STATE` (exit 7) for a symlink, a file in the way, or a directory others may write.
 */
export function ensurePrivateDir(stateDir: string, path: string = stateDir): void {
  try {
    ensurePrivateDirectory(path, { root: stateDir });
  } catch (error) {
    throw stateError(error);
  }
  try {
    // O_EXCL never follows a symlink: whatever is there already is left alone.
    writeFileSync(join(stateDir, '.gitignore'), '*\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (errnoOf(error) !== 'EEXIST') throw stateError(error);
  }
}

/**
 * Writes a state file atomically (write-file-atomic: a temp file, fsync,
 * rename), mode 0600, never through a symlink: write-file-atomic would write
 * to a link's target, so a symlink (or anything not a regular file) at the
 * path is refused first.
 *
 * @param path - the file.
 * @param content - its text.
 * @throws {SupervisorError} `ERR_STATE` when the path is a symlink, a FIFO, a directory, ….
 */
export function writePrivateFile(path: string, content: string): void {
  let stat: ReturnType<typeof lstatSync> | undefined;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
  if (stat && !stat.isFile()) {
    throw stateError(
      new StatePathError(
        stat.isSymbolicLink() ? 'symlink' : 'not-regular-file',
        path,
        stat.isSymbolicLink()
          ? `${path} is a symlink; runwarden never follows a symlink into state.`
          : `${path} is not a regular file.`,
      ),
    );
  }
  writeFileAtomic.sync(path, content, { mode: 0o600 });
}

/**
 * Reads a state file whole by the safe-fs rule (`readRegularFile`: never
 * blocking on a FIFO, never through a symlink, bounded).
 *
 * @param path - the file.
 * @param maxBytes - the bound. @default SUPERVISOR_DEFAULTS.stateFileMaxBytes (1 MiB)
 * @returns its text, or `undefined` when there is no file.
 * @throws {SupervisorError} `ERR_STATE` (exit 7) for a symlink, FIFO, directory, or a file past the bound.
 */
export function readStateFile(
  path: string,
  maxBytes: number = SUPERVISOR_DEFAULTS.stateFileMaxBytes,
): string | undefined {
  try {
    return readRegularFile(path, { maxBytes })?.bytes.toString('utf8');
  } catch (error) {
    throw stateError(error);
  }
}

/**
 * Reads the end of a state file (a run's log, the supervisor's log) by the
 * safe-fs rule: never blocking on a FIFO, never through a symlink, at most
 * `maxBytes` from its end; a first line cut short is dropped.
 *
 * @param path - the file.
 * @param maxBytes - how much of its end to read.
 * @returns the text, or `undefined` when there is no file.
 * @throws {SupervisorError} `ERR_STATE` (exit 7) for a symlink, FIFO or directory.
 */
export function readStateTail(path: string, maxBytes: number): string | undefined {
  let opened: ReturnType<typeof openRegularFile>;
  try {
    opened = openRegularFile(path);
  } catch (error) {
    throw stateError(error);
  }
  if (!opened) return undefined;
  try {
    const size = opened.stat.size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    const read = readSync(opened.fd, buffer, 0, length, size - length);
    const text = buffer.subarray(0, read).toString('utf8');
    return length < size ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    closeSync(opened.fd);
  }
}

/**
 * Opens a state file for appending by the safe-fs rule (`openAppendFile`:
 * created 0600, never blocking, never through a symlink).
 *
 * @param path - the file.
 * @returns the descriptor (the caller closes it).
 * @throws {SupervisorError} `ERR_STATE` (exit 7) for a symlink, FIFO, directory, ….
 */
export function openStateAppend(path: string): number {
  try {
    return openAppendFile(path);
  } catch (error) {
    throw stateError(error);
  }
}

/**
 * Removes a state file if it is there (unlink(2) removes a symlink itself, never its target).
 *
 * @param path - the file.
 */
export function removeStateFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
