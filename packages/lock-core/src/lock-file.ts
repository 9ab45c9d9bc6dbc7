import { readRegularFile, StatePathError } from '@runwarden/safe-fs';
import { english } from '@runwarden/zod-english';
import { LockCorruptError, LockError } from './errors.js';
import { jsonTextState } from './json-prefix.js';
import type { LockContent } from './judge.js';
import { ioError, nodeCrypto } from './lock-io.js';
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

function digest(...parts: (string | number)[]): string {
  return nodeCrypto().createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 24);
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
  // English issue messages: the corrupt-lock error quotes the first one.
  const record = lockRecordSchema.safeParse(json, english());
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
