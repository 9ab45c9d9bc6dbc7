import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { LockCorruptError, LockError } from './errors.js';
import type { LockContent } from './judge.js';
import { legacyLockRecordSchema, lockRecordSchema } from './schema.js';

/** A lock file as read: its content, the key that names this generation of it, and its raw text. */
export interface ReadLock {
  content: LockContent;
  /** The record's nonce; for a LifeOS or incomplete body, a digest of inode, mtime and bytes. */
  key: string;
  raw: string;
}

/** Creates `dir` (and parents) with mode 0700 and refuses a symlink or non-directory in its place. */
export function ensurePrivateDir(dir: string, lockPath: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) {
    throw new LockError(
      'ERR_LOCK_UNSAFE_PATH',
      lockPath,
      `${dir} is not a directory (a symlink is never followed into state).`,
      {
        hint: 'Point the state directory at a real directory.',
      },
    );
  }
}

/** A random hex id. */
export function randomId(bytes = 12): string {
  return randomBytes(bytes).toString('hex');
}

function digest(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24);
}

/**
 * Reads a lock file without following a symlink (`O_NOFOLLOW`).
 *
 * @returns `null` when there is no file.
 * @throws {LockCorruptError} when the file holds something that is not a lock.
 * @throws {LockError} `ERR_LOCK_UNSAFE_PATH` when the path is a symlink or not a regular file.
 */
export function readLockFile(path: string): ReadLock | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') {
      throw new LockError(
        'ERR_LOCK_UNSAFE_PATH',
        path,
        `${path} is a symlink; runwarden never follows a symlink into state.`,
        {
          hint: 'Remove the symlink; the lock must be a regular file.',
          cause: error,
        },
      );
    }
    throw error;
  }
  let raw: string;
  let stat: ReturnType<typeof fstatSync>;
  try {
    stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new LockError('ERR_LOCK_UNSAFE_PATH', path, `${path} is not a regular file.`);
    }
    raw = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const trimmed = raw.trim();
  const incompleteKey = () => `i${digest(stat.ino, stat.mtimeMs, stat.size, raw)}`;
  if (trimmed === '')
    return { content: { kind: 'incomplete', mtimeMs: stat.mtimeMs }, key: incompleteKey(), raw };
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch (error) {
    if (trimmed.startsWith('{') && !trimmed.endsWith('}')) {
      return { content: { kind: 'incomplete', mtimeMs: stat.mtimeMs }, key: incompleteKey(), raw };
    }
    throw corrupt(path, 'it is not JSON', error);
  }
  const record = lockRecordSchema.safeParse(json);
  if (record.success)
    return { content: { kind: 'record', record: record.data }, key: record.data.nonce, raw };
  const legacy = legacyLockRecordSchema.safeParse(json);
  if (legacy.success) {
    return {
      content: { kind: 'legacy', record: legacy.data },
      key: `l${digest(stat.ino, stat.mtimeMs, raw)}`,
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
  return new LockCorruptError(
    path,
    `Lock file ${path} is not a valid lock: ${detail}. It was left exactly as it was.`,
    {
      cause,
      hint: `Check that no run uses it, then clear it with \`runwarden kill --force\` (it is moved aside, not deleted), or remove ${path} by hand.`,
    },
  );
}

/** Writes `body` to a new private temp file beside `path`, fsynced, and returns the temp path. */
export function writeTempFile(path: string, body: string): string {
  const temp = `${path}.tmp.${randomId(8)}`;
  const fd = openSync(
    temp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/**
 * Creates `path` with `body` exactly once: the body is written and fsynced to a
 * temp file, then `link(2)`ed into place, which fails with EEXIST like
 * `open(O_CREAT|O_EXCL)` but never shows a half-written file to a reader.
 *
 * @returns `true` when this call created it, `false` when it already existed.
 */
export function createExclusive(path: string, body: string): boolean {
  const temp = writeTempFile(path, body);
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
  }
}

/** Atomically replaces `path` with `body` (temp file, fsync, rename(2)). */
export function replaceFile(path: string, body: string): void {
  const temp = writeTempFile(path, body);
  try {
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already gone
    }
    throw error;
  }
}

/** fsyncs a directory so a rename or link in it survives a power loss. */
export function syncDirectory(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dirname(path), constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // best effort: some filesystems refuse fsync on a directory
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
