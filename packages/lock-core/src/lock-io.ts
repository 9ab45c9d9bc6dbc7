import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDirectory, StatePathError } from '@runwarden/safe-fs';
import { LockError } from './errors.js';
import { failpoint } from './failpoint.js';

/**
 * Wraps a file-system error (`EACCES`, `EROFS`, `ENOSPC`, `ENAMETOOLONG`, …) in a
 * `LockError` `ERR_LOCK_IO` that names the path and what was being done; an
 * error without an errno code (a bug) is returned as it is.
 *
 * @param path - the lock file concerned.
 * @param doing - what failed, for the message (`create the lock`, …).
 * @param error - the error thrown by `node:fs`.
 * @returns the error to throw.
 */
export function ioError(path: string, doing: string, error: unknown): unknown {
  if (LockError.isInstance(error)) return error;
  const code = StatePathError.isInstance(error)
    ? error.errno
    : (error as NodeJS.ErrnoException)?.code;
  if (!code) return error;
  return new LockError({
    code: 'ERR_LOCK_IO',
    path,
    message: `Cannot ${doing} for ${path}: ${code} (${(error as Error).message}).`,
    cause: error,
    hint: `Make ${dirname(path)} writable by this user (mode 0700), with free space, or point the state directory elsewhere.`,
  });
}

/**
 * Makes sure `dir` is a private directory (the one state-directory rule of
 * every runwarden package, `@runwarden/safe-fs`): created with mode 0700 when
 * missing; a symlink or non-directory in its place is refused before anything
 * is made through it; one of ours that others may write is set to 0700, one
 * of another user is refused.
 *
 * @param dir - the lock directory.
 * @param lockPath - the lock file, for the error.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when `dir` is a symlink, not a directory, or another user's.
 * @throws {LockError} `ERR_LOCK_IO` when it cannot be created.
 */
export function ensurePrivateDir(dir: string, lockPath: string): void {
  try {
    ensurePrivateDirectory(dir);
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    if (error.problem === 'io') throw ioError(lockPath, `create the directory ${dir}`, error);
    throw new LockError({
      code: 'ERR_LOCK_UNSAFE_PATH',
      path: lockPath,
      message: error.message,
      cause: error,
      hint:
        error.problem === 'writable-by-others'
          ? `Use a state directory only this user may write (chmod 0700 ${error.path}), or point the state directory elsewhere.`
          : 'Point the state directory at a real directory (runwarden never follows a symlink into state).',
    });
  }
}

/**
 * `node:crypto`, loaded when first used (a lock's nonce, the key of a legacy
 * body), not when lock-core loads: reading a lock (`runwarden status`) then
 * loads none of it.
 *
 * @returns the built-in module.
 */
export const nodeCrypto = (): typeof import('node:crypto') =>
  process.getBuiltinModule('node:crypto') as typeof import('node:crypto');

let uniquePrefix: { pid: number; random: string } | undefined;
let uniqueCounter = 0;

/**
 * An id never seen before on any machine: 96 random bits drawn once per
 * process, then a counter (no system call per id).
 *
 * @returns hex digits.
 */
export function randomId(): string {
  if (!uniquePrefix || uniquePrefix.pid !== process.pid) {
    uniquePrefix = { pid: process.pid, random: nodeCrypto().randomBytes(12).toString('hex') };
  }
  uniqueCounter++;
  return `${uniquePrefix.random}${uniqueCounter.toString(16).padStart(8, '0')}`;
}

/** A file this process created and still has open. */
export interface CreatedFile {
  /** Open for writing; the holder keeps it for heartbeats and to know its inode. */
  fd: number;
  /** The file's inode number. */
  ino: number;
  /** The device of the filesystem that holds it. */
  dev: number;
}

/**
 * Creates `path` with `body` exactly once: the body is written to a private
 * temp file (`<lock>.tmp.<random>`, `O_CREAT|O_EXCL|O_NOFOLLOW`, 0600) that is
 * then `link(2)`ed into place, which fails with EEXIST like `O_EXCL` but never
 * shows a half-written file. As open(2) advises for NFS, an EEXIST is
 * double-checked with the temp file's link count. The temp name is removed
 * either way.
 *
 * @param path - the file to create.
 * @param body - its whole content.
 * @param tempBase - the lock path, whose `.tmp.` names the collector knows.
 * @param keepOpen - return the open descriptor (the lock) or close it (a claim).
 * @returns the open file (or `true` when closed) when this call created it,
 *   `false` when `path` exists, `'retry'` when the temp file was collected
 *   under a stalled creator.
 */
export function createExclusive(
  path: string,
  body: string,
  tempBase: string,
  keepOpen: boolean,
): CreatedFile | boolean | 'retry' {
  const temp = `${tempBase}.tmp.${randomId()}`;
  let fd: number;
  try {
    fd = openSync(
      temp,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (error) {
    throw ioError(path, 'create a temp file', error);
  }
  let linked = false;
  let outcome: false | 'retry' = false;
  try {
    failpoint('after-temp-open');
    writeSync(fd, body);
    failpoint('before-link');
    try {
      linkSync(temp, path);
      linked = true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') linked = fstatSync(fd).nlink === 2;
      else if (code === 'ENOENT') outcome = 'retry';
      else throw ioError(path, 'create the lock', error);
    }
    failpoint('after-link');
  } catch (error) {
    closeSync(fd);
    removeQuietly(temp);
    throw error;
  }
  removeQuietly(temp);
  if (!linked) {
    closeSync(fd);
    return outcome;
  }
  if (!keepOpen) {
    closeSync(fd);
    return true;
  }
  const stat = fstatSync(fd);
  return { fd, ino: stat.ino, dev: stat.dev };
}

/** Unlinks `path`, ignoring any error (it may be gone already). */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/**
 * Moves whatever is at `path` to a name only this call uses
 * (`<lock>.aside.<random>`), so it can be checked before it is removed:
 * rename(2) moves exactly one inode, atomically.
 *
 * @param path - the lock file.
 * @param tempBase - the lock path.
 * @returns the new name, or `null` when nothing was at `path`.
 */
export function moveAside(path: string, tempBase: string): string | null {
  const aside = `${tempBase}.aside.${randomId()}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw ioError(path, 'move the lock', error);
  }
  return aside;
}

/**
 * Puts a file moved by {@link moveAside} back with link(2), which never
 * replaces a file that appeared at `path` meanwhile, and removes the aside name.
 *
 * @param aside - the name it was moved to.
 * @param path - the lock file.
 * @returns `true` when it is back, `false` when another file took its place.
 */
export function putBack(aside: string, path: string): boolean {
  let restored = false;
  try {
    linkSync(aside, path);
    restored = true;
  } catch {
    // EEXIST: someone created a lock meanwhile; its holder keeps it.
  }
  removeQuietly(aside);
  return restored;
}
