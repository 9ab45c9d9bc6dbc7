import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ensurePrivateDirectory, readRegularFile, StatePathError } from '@runwarden/safe-fs';
import { LockCorruptError, LockError } from './errors.js';
import { failpoint } from './failpoint.js';
import { jsonTextState } from './json-prefix.js';
import type { LockContent } from './judge.js';
import { legacyLockRecordSchema, lockRecordSchema } from './schema.js';

/**
 * The most bytes read from a lock file: a lock body is about 600 bytes, so
 * anything past 64 KiB is not a lock (it is corrupt, and never read whole).
 */
export const MAX_LOCK_BYTES = 65_536;

/** A lock file as read: its content, the key that names this generation of it, and its raw text. */
export interface ReadLock {
  /** What it holds. */
  content: LockContent;
  /** The record's nonce; for a LifeOS or incomplete body, a digest of inode, mtime and bytes. */
  key: string;
  /** The bytes read, as text. */
  raw: string;
}

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
    uniquePrefix = { pid: process.pid, random: randomBytes(12).toString('hex') };
  }
  uniqueCounter++;
  return `${uniquePrefix.random}${uniqueCounter.toString(16).padStart(8, '0')}`;
}

function digest(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24);
}

function unsafePath(path: string, cause?: unknown): LockError {
  return new LockError({
    code: 'ERR_LOCK_UNSAFE_PATH',
    path,
    message: `${path} is a symlink; runwarden never follows a symlink into state.`,
    hint: 'Remove the symlink; the lock must be a regular file.',
    cause,
  });
}

/** True when every byte is a NUL or JSON whitespace: what a crash before the data reached the disk leaves. */
function blank(bytes: Buffer): boolean {
  for (const byte of bytes) {
    if (byte !== 0 && byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09)
      return false;
  }
  return true;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a lock file without following a symlink and without blocking: it is
 * opened `O_RDONLY | O_NONBLOCK | O_NOFOLLOW`, must be a regular file by
 * `fstat(2)`, and at most {@link MAX_LOCK_BYTES} are read. An empty file, or
 * one of NUL bytes only (what a crash before the data reached the disk
 * leaves), or a JSON object cut short (a writer still at work) is
 * `incomplete`; anything that can never become a JSON object (a syntax error
 * before its end, a NUL byte, invalid UTF-8, text after the object) is
 * corrupt at once.
 *
 * @param path - the lock file.
 * @returns `null` when there is no file.
 * @throws {LockCorruptError} when the file holds something that is not a lock, is larger than
 *   {@link MAX_LOCK_BYTES}, or is a FIFO, socket, directory or device (left as it is).
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path is a symlink; `ERR_LOCK_IO` when it cannot be read.
 */
export function readLockFile(path: string): ReadLock | null {
  let file: ReturnType<typeof readRegularFile>;
  try {
    file = readRegularFile(path, { maxBytes: MAX_LOCK_BYTES });
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    if (error.problem === 'symlink') throw unsafePath(path, error);
    if (error.problem === 'io') throw ioError(path, 'read the lock', error);
    throw corrupt(
      path,
      error.problem === 'too-large'
        ? `it is larger than ${MAX_LOCK_BYTES} bytes`
        : error.message.replace(`${path} is `, 'it is ').replace(/\.$/, ''),
      error,
    );
  }
  if (!file) return null;
  const { bytes, stat } = file;
  const mtimeMs = stat.mtimeMs;
  const incomplete = (): ReadLock => ({
    content: { kind: 'incomplete', mtimeMs },
    key: `i${digest(stat.ino, mtimeMs, stat.size, bytes.toString('latin1'))}`,
    raw: bytes.toString('latin1'),
  });
  if (blank(bytes)) return incomplete();
  let raw: string;
  try {
    raw = utf8.decode(bytes);
  } catch (error) {
    throw corrupt(path, 'it is not UTF-8 text', error);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    // Only what a writer could still complete is given the grace; the rest is corrupt now.
    const text = jsonTextState(raw);
    if (text.state === 'prefix' && raw.trimStart().startsWith('{')) return incomplete();
    throw corrupt(path, 'it is not JSON', error);
  }
  const record = lockRecordSchema.safeParse(json);
  if (record.success) {
    return {
      content: { kind: 'record', record: record.data, mtimeMs },
      key: record.data.nonce,
      raw,
    };
  }
  const legacy = legacyLockRecordSchema.safeParse(json);
  if (legacy.success) {
    return {
      content: { kind: 'legacy', record: legacy.data, mtimeMs },
      key: `l${digest(stat.ino, mtimeMs, raw)}`,
      raw,
    };
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (typeof version === 'number' && version > 1) {
    throw corrupt(
      path,
      `it has schemaVersion ${version}, newer than this runwarden understands (1)`,
    );
  }
  throw corrupt(
    path,
    `its fields do not match the lock schema: ${record.error.issues[0]?.message ?? 'invalid'}`,
  );
}

function corrupt(path: string, detail: string, cause?: unknown): LockCorruptError {
  return new LockCorruptError({
    path,
    message: `Lock file ${path} is not a valid lock: ${detail}. It was left exactly as it was.`,
    cause,
    hint: `Check that no run uses it, then clear it with \`runwarden kill --force\` (it is moved aside, not deleted), or remove ${path} by hand.`,
  });
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

/**
 * fsyncs a directory so a rename or link in it survives a power loss.
 *
 * @param directory - the directory to sync.
 */
export function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // best effort: some filesystems refuse fsync on a directory
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

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
