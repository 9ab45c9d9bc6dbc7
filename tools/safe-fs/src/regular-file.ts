import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { errnoOf, StatePathError } from './errors.js';

/** Options for {@link openRegularFile} and {@link readRegularFile}. */
export interface OpenRegularFileOptions {
  /**
   * Follow a symlink at the last component. State files never are (`false`):
   * a symlink there is refused (`O_NOFOLLOW`). A file someone else names (a
   * heartbeat file, a watched log) may be a link (`true`).
   * @default false
   */
  follow?: boolean;
  /**
   * Open for writing too (`O_RDWR`), for a state file rewritten in place.
   * @default false
   */
  write?: boolean;
}

/** An open regular file: its descriptor (the caller closes it) and its `fstat`. */
export interface OpenedRegularFile {
  fd: number;
  stat: Stats;
}

function describe(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Opens a file that must be a regular file without ever blocking: `O_NONBLOCK`
 * (a FIFO opens at once instead of waiting for a writer; a socket fails with
 * ENXIO), `O_NOFOLLOW` unless `follow`, then `fstat(2)` on the descriptor
 * (not the path, so nothing can be swapped in between) must say a regular
 * file. On a regular file `O_NONBLOCK` changes nothing (open(2)).
 *
 * @param path - the file.
 * @param options - `follow`, `write`.
 * @returns the descriptor and its stat, or `null` when there is no file.
 * @throws {StatePathError} `symlink` (ELOOP), `not-regular-file` (a directory, FIFO, socket or device) or `io` (EACCES, ENAMETOOLONG, …).
 */
export function openRegularFile(
  path: string,
  options: OpenRegularFileOptions = {},
): OpenedRegularFile | null {
  const flags =
    (options.write ? constants.O_RDWR : constants.O_RDONLY) |
    constants.O_NONBLOCK |
    (options.follow ? 0 : constants.O_NOFOLLOW);
  return openChecked(path, flags, undefined, {
    follow: options.follow ?? false,
    // A FIFO opened for reading with O_NONBLOCK opens at once; ENXIO is a socket.
    enxio: 'a socket or device',
  });
}

/** A file read whole by {@link readRegularFile}. */
export interface ReadRegularFile {
  /** The bytes. */
  bytes: Buffer;
  /** Its `fstat` when opened. */
  stat: Stats;
}

/**
 * Reads a regular file whole, never blocking ({@link openRegularFile}) and
 * never reading more than `maxBytes`: a larger file is refused before it is
 * read (by its `fstat` size), and so is one that grows past the bound while read.
 *
 * @param path - the file.
 * @param options - `maxBytes` (the bound), `follow`.
 * @returns the bytes and the stat, or `null` when there is no file.
 * @throws {StatePathError} as {@link openRegularFile}, and `too-large` past `maxBytes`.
 */
export function readRegularFile(
  path: string,
  options: OpenRegularFileOptions & { maxBytes: number },
): ReadRegularFile | null {
  const opened = openRegularFile(path, options);
  if (!opened) return null;
  const { fd, stat } = opened;
  const tooLarge = () =>
    new StatePathError(
      'too-large',
      path,
      `${path} is larger than ${options.maxBytes} bytes, more than such a file ever holds.`,
    );
  try {
    if (stat.size > options.maxBytes) throw tooLarge();
    // One byte more than the bound tells a file that grew past it.
    let buffer = Buffer.allocUnsafe(Math.min(options.maxBytes, Math.max(stat.size, 4096)) + 1);
    let length = 0;
    for (;;) {
      let read: number;
      try {
        read = readSync(fd, buffer, length, buffer.length - length, length);
      } catch (error) {
        throw new StatePathError('io', path, `Cannot read ${path}: ${errnoOf(error)}.`, {
          cause: error,
          errno: errnoOf(error),
        });
      }
      if (read === 0) break;
      length += read;
      if (length > options.maxBytes) throw tooLarge();
      if (length === buffer.length) {
        // It grew while read: room for more, up to one byte past the bound.
        const grown = Buffer.allocUnsafe(Math.min(options.maxBytes + 1, buffer.length * 2));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
    }
    return { bytes: buffer.subarray(0, length), stat };
  } finally {
    closeSync(fd);
  }
}

/** Options for {@link openAppendFile}. */
export interface OpenAppendFileOptions {
  /** The mode of a file it creates. @default 0o600 */
  mode?: number;
  /** Empty the file first (`O_TRUNC`). @default false */
  truncate?: boolean;
}

/**
 * Opens (or creates, mode 0600) a state file for appending without ever
 * blocking or following a symlink: `O_WRONLY | O_APPEND | O_CREAT |
 * O_NOFOLLOW | O_NONBLOCK` (a FIFO without a reader fails with ENXIO instead
 * of waiting for one), then `fstat(2)` must say a regular file.
 *
 * @param path - the file.
 * @param options - `mode`, `truncate`.
 * @returns the descriptor (the caller closes it).
 * @throws {StatePathError} `symlink`, `not-regular-file` or `io`, as {@link openRegularFile}.
 */
export function openAppendFile(path: string, options: OpenAppendFileOptions = {}): number {
  const flags =
    constants.O_WRONLY |
    constants.O_APPEND |
    constants.O_CREAT |
    constants.O_NOFOLLOW |
    constants.O_NONBLOCK |
    (options.truncate ? constants.O_TRUNC : 0);
  // Never null: O_CREAT makes the file when it is missing.
  return openChecked(path, flags, options.mode ?? 0o600, {
    follow: false,
    // For writing, a FIFO without a reader fails with ENXIO too.
    enxio: 'a FIFO, socket or device',
  })!.fd;
}

/**
 * Opens `path` with `flags` and checks by `fstat(2)` that it is a regular
 * file, turning each way it can fail into a {@link StatePathError}.
 *
 * @returns the descriptor and stat, or `null` for ENOENT.
 */
function openChecked(
  path: string,
  flags: number,
  mode: number | undefined,
  options: { follow: boolean; enxio: string },
): OpenedRegularFile | null {
  let fd: number;
  try {
    fd = openSync(path, flags, mode);
  } catch (error) {
    const errno = errnoOf(error);
    if (errno === 'ENOENT') return null;
    if (errno === 'ELOOP' && !options.follow) {
      throw new StatePathError(
        'symlink',
        path,
        `${path} is a symlink; runwarden never follows a symlink into state.`,
        { cause: error, errno },
      );
    }
    if (errno === 'ENXIO' || errno === 'EISDIR' || errno === 'EOPNOTSUPP') {
      throw new StatePathError(
        'not-regular-file',
        path,
        `${path} is ${errno === 'EISDIR' ? 'a directory' : options.enxio}, not a regular file.`,
        { cause: error, errno },
      );
    }
    throw new StatePathError('io', path, `Cannot open ${path}: ${errno ?? String(error)}.`, {
      cause: error,
      errno,
    });
  }
  let stat: Stats;
  try {
    stat = fstatSync(fd);
  } catch (error) {
    closeSync(fd);
    throw new StatePathError('io', path, `Cannot stat ${path}: ${errnoOf(error)}.`, {
      cause: error,
      errno: errnoOf(error),
    });
  }
  if (!stat.isFile()) {
    closeSync(fd);
    throw new StatePathError(
      'not-regular-file',
      path,
      `${path} is ${describe(stat)}, not a regular file.`,
    );
  }
  return { fd, stat };
}
