/**
 * A target's record file and its archive: read and validate (a corrupt or
 * unknown file is an error naming it, never overwritten), write atomically,
 * and append what the history limit moves out (fsynced, a line cut short by
 * a crash never swallowing the next one).
 */
import { closeSync, constants, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { errnoOf } from '@runwarden/safe-fs';
import { english, firstIssue } from '@runwarden/zod-english';
import { archivePath, MAX_ARCHIVE_BYTES, MAX_RECORD_BYTES, targetKeyOf } from './file-layout.js';
import type { boundRecord } from './record-rules.js';
import {
  type ArchivedEntry,
  type CoordinationRecord,
  coordinationRecordSchema,
  SUPPORTED_SCHEMA_VERSIONS,
} from './schema.js';
import {
  directoriesExist,
  readPrivateFile,
  storeIo,
  unusableState,
  writePrivateFile,
} from './state-files.js';
import type { Target } from './target.js';

/**
 * Reads and validates a record file.
 *
 * @param root - the store's directory.
 * @param path - the record file.
 * @param target - the target it must belong to, when known.
 * @returns the record, or `null` when there is none.
 * @throws {CoordinationError} `ERR_INVALID_STATE` naming the file when it is not a record of a known version (or of another target); `ERR_STORE_IO`.
 */
export function readRecordFile(
  root: string,
  path: string,
  target?: Target,
): CoordinationRecord | null {
  if (!directoriesExist(root, path)) return null;
  const raw = readPrivateFile(path, MAX_RECORD_BYTES);
  if (raw === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw unusableState(
      path,
      raw.trim() === '' ? 'it is empty' : 'it is not valid JSON (truncated or corrupt)',
      { cause: error },
    );
  }
  const version = (json as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (!SUPPORTED_SCHEMA_VERSIONS.includes(version as 1 | 2)) {
    throw unusableState(
      path,
      `its schemaVersion ${JSON.stringify(version)} is not one of ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}`,
    );
  }
  const parsed = coordinationRecordSchema.safeParse(json, english());
  if (!parsed.success) {
    throw unusableState(path, firstIssue(parsed.error, 'record'));
  }
  if (target) {
    const recorded = targetKeyOf(parsed.data);
    if (recorded !== undefined && recorded !== target.key) {
      throw unusableState(
        path,
        `it belongs to target ${JSON.stringify(recorded)}, not ${target.key}`,
      );
    }
  }
  return parsed.data;
}

/**
 * Writes a record file atomically. Compact: a record with 200 history entries
 * is 30% smaller than pretty-printed, and the fsync of its bytes is most of a
 * write's cost.
 *
 * @param path - the record file.
 * @param record - the record.
 * @throws {CoordinationError} `ERR_STORE_IO`.
 */
export function writeRecordFile(path: string, record: CoordinationRecord): void {
  writePrivateFile(path, `${JSON.stringify(record)}\n`);
}

/**
 * Appends what the history limit moved out of a record to its archive, one
 * JSON object a line, fsynced, before the record is rewritten: a crash in
 * between duplicates entries at worst and never loses one.
 *
 * @param path - the record file.
 * @param target - its target.
 * @param moved - what `boundRecord` moved out.
 * @param nowMs - the store's clock, Unix ms.
 * @throws {CoordinationError} `ERR_INVALID_STATE` when the archive is a symlink or not a regular file; `ERR_STORE_IO`.
 */
export function appendArchive(
  path: string,
  target: Target,
  moved: ReturnType<typeof boundRecord>,
  nowMs: number,
): void {
  const archivedAt = new Date(nowMs).toISOString();
  const lines = [
    ...moved.history.map((entry) => ({ kind: 'history', target: target.key, archivedAt, entry })),
    ...moved.exitSignals.map((entry) => ({
      kind: 'exitSignal',
      target: target.key,
      archivedAt,
      entry,
    })),
  ];
  if (lines.length === 0) return;
  const archive = archivePath(path);
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO put there never blocks the open; fstat then refuses it.
    fd = openSync(
      archive,
      constants.O_RDWR |
        constants.O_APPEND |
        constants.O_CREAT |
        constants.O_NOFOLLOW |
        constants.O_NONBLOCK,
      0o600,
    );
  } catch (error) {
    if (errnoOf(error) === 'ELOOP')
      throw unusableState(
        archive,
        'it is a symlink, and runwarden never follows a symlink into state',
        { cause: error },
      );
    throw storeIo(archive, 'open', error);
  }
  try {
    if (!fstatSync(fd).isFile()) throw unusableState(archive, 'it is not a regular file');
    // A line cut short by a crash mid-append must not swallow the next one.
    const size = fstatSync(fd).size;
    const last = Buffer.alloc(1);
    const separator = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 10;
    writeSync(
      fd,
      `${separator ? '\n' : ''}${lines.map((line) => `${JSON.stringify(line)}\n`).join('')}`,
    );
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads an archive.
 *
 * @param archive - the archive file.
 * @returns its entries, oldest first; a line cut short by a crash is skipped.
 * @throws {CoordinationError} `ERR_INVALID_STATE` for a symlink or a too large file; `ERR_STORE_IO`.
 */
export function readArchive(archive: string): ArchivedEntry[] {
  const raw = readPrivateFile(archive, MAX_ARCHIVE_BYTES);
  if (raw === null) return [];
  const entries: ArchivedEntry[] = [];
  for (const line of raw.split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as ArchivedEntry);
    } catch {
      // A line cut short by a crash mid-append: its entries were still in
      // the record, which had not been rewritten, and were archived again.
    }
  }
  return entries;
}
