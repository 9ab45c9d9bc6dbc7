import { closeSync, fdatasyncSync, fstatSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { openRegularFile, StatePathError, syncDirectory } from '@runwarden/safe-fs';
import writeFileAtomic from 'write-file-atomic';
import { LockCorruptError, LockError } from './errors.js';
import { failpoint } from './failpoint.js';
import { ioError } from './lock-io.js';

/**
 * The highest fencing token ever issued: `Number.MAX_SAFE_INTEGER` (2^53 − 1),
 * past which a JSON number no longer counts by one.
 */
export const MAX_FENCING_TOKEN = Number.MAX_SAFE_INTEGER;

/**
 * How many tokens one durable write of the fence reserves. Tokens inside the
 * reservation are recorded without fsync; after a reboot (boot id changed)
 * the next token is one past the reservation, so a token is never issued
 * twice even when the last writes never reached the disk (PostgreSQL's
 * sequences skip values after a crash the same way, `SEQ_LOG_VALS`).
 */
export const FENCE_RESERVATION = 256;

/** Every fence record is padded to this many bytes, so it is rewritten in place, in one sector. */
const FENCE_BYTES = 160;

/** The fencing counter as stored in `<lock>.fence`. */
export interface FenceState {
  /** The highest token issued for the lock path. */
  fencingToken: number;
  /** Tokens up to this one are covered by a write that reached the disk. */
  reservedThrough: number;
  /** The boot the record was written in; `''` when unknown. */
  bootId: string;
  /** False for a file this scheme cannot rewrite in place (an older `{fencingToken}` file). */
  inPlace: boolean;
}

/**
 * The path of the fencing counter beside a lock.
 *
 * @param lockPath - the lock file.
 * @returns `<lock>.fence`.
 */
export function fencePath(lockPath: string): string {
  return `${lockPath}.fence`;
}

/** The typed error for a fence that cannot be opened: what is there, and the way out. */
function fenceOpenError(lockPath: string, error: unknown): unknown {
  if (!StatePathError.isInstance(error)) return error;
  const path = fencePath(lockPath);
  if (error.problem === 'symlink') {
    return new LockError({
      code: 'ERR_LOCK_UNSAFE_PATH',
      path,
      message: `Fencing counter ${path} is a symlink; runwarden never follows a symlink into state.`,
      cause: error,
      hint: `Remove the symlink ${path}; the counter must be a regular file.`,
    });
  }
  if (error.problem === 'not-regular-file') {
    return new LockCorruptError({
      path,
      message: `Fencing counter ${path} is not valid: ${error.message.replace(`${path} is `, 'it is ').replace(/\.$/, '')}. It was left exactly as it was.`,
      cause: error,
      hint: `Move ${path} aside and write {"fencingToken": N} into a regular file there, N at least the highest token any holder of ${lockPath} ever used.`,
    });
  }
  return ioError(lockPath, 'open the fencing counter', error);
}

function corruptFence(lockPath: string, detail: string): LockCorruptError {
  const path = fencePath(lockPath);
  return new LockCorruptError({
    path,
    message: `Fencing counter ${path} is not valid: ${detail}. It was left exactly as it was.`,
    hint: `Write {"fencingToken": N} into it, N at least the highest token any holder of ${lockPath} ever used, or remove it if nothing checks tokens.`,
  });
}

/**
 * Parses the text of a fence file.
 *
 * @param lockPath - the lock file, for the error.
 * @param raw - the fence file's text.
 * @returns the state.
 * @throws {LockCorruptError} naming the fence when it is not a counter.
 */
export function parseFence(lockPath: string, raw: string): FenceState {
  let json: { fencingToken?: unknown; reservedThrough?: unknown; bootId?: unknown };
  try {
    json = JSON.parse(raw);
  } catch {
    throw corruptFence(lockPath, raw.trim() === '' ? 'it is empty' : 'it is not JSON');
  }
  const token = json?.fencingToken;
  if (typeof token !== 'number' || !Number.isSafeInteger(token) || token < 0) {
    throw corruptFence(lockPath, 'fencingToken is not a non-negative integer');
  }
  const reserved = json.reservedThrough;
  const bootId = json.bootId;
  if (reserved === undefined && bootId === undefined) {
    // Written by an earlier lock-core with write-file-atomic and fsync: durable as it is.
    return { fencingToken: token, reservedThrough: token, bootId: '', inPlace: false };
  }
  if (
    typeof reserved !== 'number' ||
    !Number.isSafeInteger(reserved) ||
    reserved < token ||
    typeof bootId !== 'string'
  ) {
    throw corruptFence(lockPath, 'reservedThrough or bootId is not valid');
  }
  return {
    fencingToken: token,
    reservedThrough: reserved,
    bootId,
    inPlace: Buffer.byteLength(raw) === FENCE_BYTES,
  };
}

/**
 * The token the next holder gets: one past the counter, or one past the
 * reservation when the counter was written in an earlier boot, and above any
 * token a stale lock still shows.
 *
 * @param fence - the counter, `null` when there is none yet.
 * @param bootId - this boot's id.
 * @param staleToken - the token of the lock being taken over, 0 when none.
 * @returns the next token.
 */
export function nextToken(fence: FenceState | null, bootId: string, staleToken: number): number {
  if (!fence) return staleToken + 1;
  const newBoot = fence.bootId !== '' && fence.bootId !== bootId;
  return Math.max(newBoot ? fence.reservedThrough : fence.fencingToken, staleToken) + 1;
}

/**
 * Refuses a token past {@link MAX_FENCING_TOKEN}: the counter is spent, and
 * a token must never repeat, so no holder gets one (the lock cannot be taken
 * until the guarded resources accept a new series of tokens).
 *
 * @param lockPath - the lock file.
 * @param token - the token about to be issued.
 * @throws {LockError} `ERR_LOCK_FENCE_EXHAUSTED` when `token` passes {@link MAX_FENCING_TOKEN}.
 */
export function assertTokenInRange(lockPath: string, token: number): void {
  if (Number.isSafeInteger(token) && token <= MAX_FENCING_TOKEN) return;
  const path = fencePath(lockPath);
  throw new LockError({
    code: 'ERR_LOCK_FENCE_EXHAUSTED',
    path,
    message: `Fencing counter ${path} is spent: the next token would pass ${MAX_FENCING_TOKEN} (Number.MAX_SAFE_INTEGER), and a token is never issued twice.`,
    hint: `Re-key whatever checks the tokens of ${lockPath}, then remove ${path} (the next token starts again from 1).`,
  });
}

/** An open fence file. */
export interface OpenFence {
  fd: number | undefined;
  state: FenceState | null;
}

/**
 * Opens and reads the fence. While the lock is held only its holder writes the
 * fence, so the holder's read is exact.
 *
 * @param lockPath - the lock file.
 * @param strict - throw on a corrupt fence (the holder) or read it as `null` (a guess).
 * @returns the open descriptor (to rewrite in place) and the state, `null` when none.
 * @throws {LockCorruptError} when `strict` and the fence is not a counter.
 */
export function openFence(lockPath: string, strict: boolean): OpenFence {
  let fd: number;
  try {
    // Never blocks, never follows a link: a FIFO, a directory or a symlink there is refused.
    const opened = openRegularFile(fencePath(lockPath), { write: true });
    if (!opened) return { fd: undefined, state: null };
    fd = opened.fd;
  } catch (error) {
    if (!strict) return { fd: undefined, state: null };
    throw fenceOpenError(lockPath, error);
  }
  const buffer = Buffer.alloc(4096);
  let length = 0;
  try {
    length = readSync(fd, buffer, 0, buffer.length, 0);
  } catch (error) {
    closeSync(fd);
    if (!strict) return { fd: undefined, state: null };
    throw ioError(lockPath, 'read the fencing counter', error);
  }
  try {
    return { fd, state: parseFence(lockPath, buffer.toString('utf8', 0, length)) };
  } catch (error) {
    closeSync(fd);
    if (!strict) return { fd: undefined, state: null };
    throw error;
  }
}

/**
 * Reads the fence again, exactly, once the lock is held: through the
 * descriptor opened before the link when that file is still the fence (its
 * link count is not 0), else by opening it anew.
 *
 * @param lockPath - the lock file.
 * @param fence - the fence opened before the link; it is closed or reused.
 * @returns the fence, open, read strictly.
 * @throws {LockCorruptError} when the fence is not a counter.
 */
export function rereadFence(lockPath: string, fence: OpenFence): OpenFence {
  if (fence.fd !== undefined && fstatSync(fence.fd).nlink > 0) {
    const buffer = Buffer.alloc(4096);
    let length: number;
    try {
      length = readSync(fence.fd, buffer, 0, buffer.length, 0);
    } catch (error) {
      closeFence(fence);
      throw ioError(lockPath, 'read the fencing counter', error);
    }
    try {
      return { fd: fence.fd, state: parseFence(lockPath, buffer.toString('utf8', 0, length)) };
    } catch (error) {
      closeFence(fence);
      throw error;
    }
  }
  closeFence(fence);
  return openFence(lockPath, true);
}

function render(state: Omit<FenceState, 'inPlace'>): string {
  const text = JSON.stringify({
    fencingToken: state.fencingToken,
    reservedThrough: state.reservedThrough,
    bootId: state.bootId,
  });
  return `${text}${' '.repeat(Math.max(0, FENCE_BYTES - 1 - Buffer.byteLength(text)))}\n`;
}

/**
 * Records `token` as the highest issued. Inside the reservation of this boot
 * it is one `pwrite(2)` in place (no fsync: the page cache is shared by every
 * process of the machine); otherwise the record reserves
 * {@link FENCE_RESERVATION} more tokens and reaches the disk before the token
 * is used (`fdatasync`, or write-file-atomic with fsync and a directory fsync
 * for a new file). A crash mid-write leaves the old or the new record: a
 * single write of one sector in place, or a rename.
 *
 * @param lockPath - the lock file.
 * @param fence - the fence as opened by the holder; its descriptor is closed.
 * @param token - the token just issued.
 * @param bootId - this boot's id (`''` when unknown: every write is then durable).
 */
export function writeFence(lockPath: string, fence: OpenFence, token: number, bootId: string) {
  try {
    const state = fence.state;
    const durable =
      !state ||
      bootId === '' ||
      state.bootId !== bootId ||
      token > state.reservedThrough ||
      !state.inPlace;
    assertTokenInRange(lockPath, token);
    const reservedThrough = durable
      ? Math.min(MAX_FENCING_TOKEN, token + FENCE_RESERVATION - 1)
      : Math.max(state.reservedThrough, token);
    const body = render({ fencingToken: token, reservedThrough, bootId });
    failpoint('before-fence-write');
    if (fence.fd !== undefined && state?.inPlace && Buffer.byteLength(body) === FENCE_BYTES) {
      writeSync(fence.fd, body, 0);
      if (durable) fdatasyncSync(fence.fd);
      return;
    }
    writeFileAtomic.sync(fencePath(lockPath), body, { mode: 0o600, fsync: true });
    syncDirectory(dirname(lockPath));
  } catch (error) {
    throw ioError(lockPath, 'write the fencing counter', error);
  } finally {
    if (fence.fd !== undefined) closeSync(fence.fd);
    fence.fd = undefined;
  }
}

/**
 * Closes a fence opened by {@link openFence} without writing it.
 *
 * @param fence - the open fence.
 */
export function closeFence(fence: OpenFence): void {
  if (fence.fd !== undefined) closeSync(fence.fd);
  fence.fd = undefined;
}
