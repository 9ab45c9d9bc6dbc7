/**
 * Where the FileStore keeps a target: dev-loops' layout
 * (`<owner>/<repo>/pr-<N>.json`, `other/<encoded key>.json`), the archive
 * beside it, and the limits on names and sizes.
 */
import { join } from 'node:path';
import { CoordinationError } from './errors.js';
import type { CoordinationRecord } from './schema.js';
import { decodeKey, type Target, targetFile } from './target.js';

/** The most bytes read from a record file: 200 history entries are about 60 KB. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
/** The most bytes read from an archive (`*.archive.jsonl`). */
export const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;
/** The longest file name a file system takes (NAME_MAX on Linux, macOS and Windows), in bytes. */
export const NAME_MAX_BYTES = 255;
/**
 * The bytes runwarden adds to a record's file name for the files beside it:
 * the longest is the takeover claim of its lock,
 * `<name>.lock.claim.<32 hex>.<up to 10 digits>` (55 bytes).
 */
export const DERIVED_NAME_BYTES = 55;
/**
 * The most bytes a target's record file name (`<encoded key>.json`) may have
 * in the file store: {@link NAME_MAX_BYTES} less {@link DERIVED_NAME_BYTES}, 200.
 */
export const MAX_RECORD_NAME_BYTES = NAME_MAX_BYTES - DERIVED_NAME_BYTES;

/** The first 40 characters of a long name, for a one-line message. */
function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Absolute path of a target's record file.
 *
 * @param directory - the store's directory, absolute.
 * @param target - the parsed target.
 * @returns `<directory>/<owner>/<repo>/pr-<N>.json` or `<directory>/other/<encoded>.json`.
 * @throws {CoordinationError} `ERR_INVALID_TARGET` when a name would pass {@link MAX_RECORD_NAME_BYTES}.
 */
export function recordPathOf(directory: string, target: Target): string {
  const relativePath = targetFile(target);
  for (const name of relativePath.split('/')) {
    const bytes = Buffer.byteLength(name);
    if (bytes > MAX_RECORD_NAME_BYTES) {
      throw new CoordinationError({
        code: 'ERR_INVALID_TARGET',
        message: `Target ${JSON.stringify(short(target.key))} cannot be stored in the file store: its file name ${short(name)} is ${bytes} bytes, and the file store allows ${MAX_RECORD_NAME_BYTES} bytes (${NAME_MAX_BYTES}, the file system's limit, less ${DERIVED_NAME_BYTES} for the lock and temp files beside it).`,
        hint: 'Use a shorter key (non-ASCII characters and reserved ones such as / : ? take 3 bytes each once encoded), or the PostgreSQL store.',
      });
    }
  }
  return join(directory, relativePath);
}

/**
 * The archive beside a record file.
 *
 * @param recordPath - the record's path.
 * @returns it with `.json` replaced by `.archive.jsonl`.
 */
export function archivePath(recordPath: string): string {
  return `${recordPath.replace(/\.json$/, '')}.archive.jsonl`;
}

/**
 * The target key a record names (dev-loops' `{repo, pr}` or runwarden's `{key}`).
 *
 * @param record - the record.
 * @returns the key, or `undefined` when the record names none.
 */
export function targetKeyOf(record: CoordinationRecord): string | undefined {
  if ('repo' in record.target && typeof record.target.repo === 'string')
    return `${record.target.repo.toLowerCase()}#${String(record.target.pr)}`;
  if ('key' in record.target && typeof record.target.key === 'string') return record.target.key;
  return undefined;
}

/**
 * The target of a record file found by listing: what the record names, else
 * what its path encodes.
 *
 * @param relativePath - the file's path below the store's directory, `/`-separated.
 * @param record - its record.
 * @returns the target key.
 */
export function targetOf(relativePath: string, record: CoordinationRecord): string {
  const key = targetKeyOf(record);
  if (key !== undefined) return key;
  const match = /^other\/(.+)\.json$/.exec(relativePath);
  return match ? decodeKey(match[1]!) : relativePath;
}
