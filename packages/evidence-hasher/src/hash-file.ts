import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { EVIDENCE_DEFAULTS } from './defaults.js';

/**
 * Read buffer size in bytes. Synchronous `read(2)` calls of 128 KiB keep the
 * buffer in the CPU cache while OpenSSL's SHA-256 (SHA-NI where present)
 * consumes it: measured on Linux, 128 KiB reads hash a cached 1 GiB file as
 * fast as `openssl dgst -sha256`, while 256 KiB–4 MiB reads spend four times
 * the system time, and a 64 KiB `fs.createReadStream` is slower still.
 */
export const READ_BUFFER_BYTES: number = EVIDENCE_DEFAULTS.readBufferBytes;

/** The result of {@link hashFileSync}. */
export interface FileDigest {
  /** Hex SHA-256 of the bytes read. */
  sha256: string;
  /** Bytes read. */
  sizeBytes: number;
  /** True when size, mtime, ctime or inode changed while the file was read, or the path now names another file. */
  changedWhileReading: boolean;
}

/** Device and inode a walk saw for a path (from `lstat`), checked again when the file is opened. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/** The outcome of hashing one file with retries (see {@link hashRetrySteps}). */
export interface HashOutcome {
  /** Hex SHA-256; absent when the file was `unreadable` or `unstable`. */
  sha256?: string;
  /** Bytes read on the last attempt. */
  sizeBytes: number;
  /** Absent when the digest is trustworthy. */
  status?: 'unreadable' | 'unstable';
  /** The `errno` code (`EACCES`, `ELOOP`, …) of an `unreadable` file. */
  errorCode?: string;
}

/** What {@link hashFileSteps} returns: the digest as bytes (the pool copies them into shared memory). */
interface RawDigest {
  digest: Buffer;
  sizeBytes: number;
  changedWhileReading: boolean;
}

/** What {@link hashRetrySteps} returns: a {@link HashOutcome} with the digest as bytes. */
export interface RawOutcome {
  /** SHA-256, 32 bytes; absent when the file was `unreadable` or `unstable`. */
  digest?: Buffer;
  sizeBytes: number;
  status?: 'unreadable' | 'unstable';
  errorCode?: string;
}

/**
 * Hashes one regular file with the given modules and buffer, as a generator
 * that yields the bytes of each read (so a caller can report progress, or
 * let its event loop run between reads) and returns the digest.
 * Self-contained (no module-scope references) so the same source runs in the
 * worker pool. Opens with `O_NOFOLLOW | O_NONBLOCK`: a symlink or FIFO
 * swapped in can neither redirect nor block it. Five system calls for a file
 * that fits the buffer: `open`, `fstat`, one `read` (it stops at the size
 * `fstat` gave, without a read that returns 0; an empty file, e.g. of
 * `/proc`, is read to its end), `lstat` of the path (still the same inode,
 * with the same size, mtime and ctime?), `close`.
 *
 * @param modules `node:fs` and `node:crypto`.
 * @param path Absolute path of the file.
 * @param buffer The reused read buffer.
 * @param expected Device and inode the walk saw; a different file at the path counts as a change.
 * @returns The digest, the bytes read and whether the file changed while read.
 * @throws the `open`/`read` error as Node reports it (`EACCES`, `ELOOP`, …), or `ENOTREG` when the path is not a regular file.
 * @internal
 */
export function* hashFileSteps(
  modules: { fs: typeof fs; crypto: typeof crypto },
  path: string,
  buffer: Buffer,
  expected: FileIdentity | undefined,
): Generator<number, RawDigest, undefined> {
  const { constants } = modules.fs;
  const fd = modules.fs.openSync(
    path,
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  );
  try {
    const before = modules.fs.fstatSync(fd);
    if (!before.isFile()) {
      const error = new Error(`${path} is not a regular file`) as NodeJS.ErrnoException;
      error.code = 'ENOTREG';
      throw error;
    }
    const hash = modules.crypto.createHash('sha256');
    let size = 0;
    // A file that grows past its size while read shows in the lstat below.
    while (size < before.size || before.size === 0) {
      const read = modules.fs.readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(read === buffer.length ? buffer : buffer.subarray(0, read));
      size += read;
      yield read;
    }
    let now:
      | { dev: number; ino: number; size: number; mtimeMs: number; ctimeMs: number }
      | undefined;
    try {
      // The path, not the descriptor: it must still name this inode, unchanged.
      now = modules.fs.lstatSync(path);
    } catch {
      now = undefined;
    }
    const changedWhileReading =
      now === undefined ||
      now.ino !== before.ino ||
      now.dev !== before.dev ||
      now.size !== before.size ||
      now.mtimeMs !== before.mtimeMs ||
      now.ctimeMs !== before.ctimeMs ||
      size !== before.size ||
      (expected !== undefined && (expected.ino !== before.ino || expected.dev !== before.dev));
    return { digest: hash.digest(), sizeBytes: size, changedWhileReading };
  } finally {
    modules.fs.closeSync(fd);
  }
}

/**
 * Hashes one file, re-reading it up to `retries` times while it changes; then
 * marks it `unstable`. A file that cannot be opened or read is `unreadable`
 * with its `errno` code. A generator like {@link hashFileSteps}, and
 * self-contained like it.
 *
 * @internal
 */
export function* hashRetrySteps(
  modules: { fs: typeof fs; crypto: typeof crypto },
  request: { path: string; expected?: FileIdentity; retries: number },
  buffer: Buffer,
): Generator<number, RawOutcome, undefined> {
  let sizeBytes = 0;
  for (let attempt = 0; ; attempt++) {
    let digest: RawDigest;
    try {
      digest = yield* hashFileSteps(modules, request.path, buffer, request.expected);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      // A path that is no longer a regular file (replaced by a symlink or a FIFO) changed under us.
      if (code === 'ELOOP' || code === 'ENOTREG' || code === 'ENOENT') {
        if (attempt >= request.retries) return { sizeBytes, status: 'unstable', errorCode: code };
        continue;
      }
      return { sizeBytes, status: 'unreadable', errorCode: code };
    }
    sizeBytes = digest.sizeBytes;
    if (!digest.changedWhileReading) return { digest: digest.digest, sizeBytes };
    if (attempt >= request.retries) return { sizeBytes, status: 'unstable' };
  }
}

/**
 * A {@link RawOutcome} as the public {@link HashOutcome} (hex digest).
 *
 * @param raw The outcome with the digest as bytes.
 * @returns The same outcome with `sha256` in hex.
 * @internal
 */
export function toHashOutcome(raw: RawOutcome): HashOutcome {
  const { digest, ...rest } = raw;
  return digest ? { sha256: digest.toString('hex'), ...rest } : rest;
}

/** Runs a hashing generator to its end on the calling thread. */
function drainSync<T>(
  steps: Generator<number, T, undefined>,
  onBytes?: (bytes: number) => void,
): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    onBytes?.(step.value);
  }
}

let shared: Buffer | undefined;

/**
 * Streams one regular file through SHA-256 (node:crypto, i.e. OpenSSL) with a
 * reused {@link READ_BUFFER_BYTES} buffer; never reads the whole file into
 * memory, so files over 2 GiB work. Opens with `O_NOFOLLOW` and `O_NONBLOCK`
 * so neither a symlink nor a FIFO swapped in can redirect or block it.
 *
 * @param path The file to hash.
 * @returns The digest, the bytes read and whether the file changed while it was read.
 * @throws the `open`/`read` error (`EACCES`, `ELOOP`, …) as Node reports it, or `ENOTREG` for a non-regular file.
 */
export function hashFileSync(path: string): FileDigest {
  shared ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const { digest, ...rest } = drainSync(hashFileSteps({ fs, crypto }, path, shared, undefined));
  return { sha256: digest.toString('hex'), ...rest };
}

/**
 * {@link hashRetrySteps} run to its end on the calling thread with the shared buffer.
 * @internal
 */
export function hashWithRetriesSync(
  request: { path: string; expected?: FileIdentity; retries: number },
  onBytes?: (bytes: number) => void,
): HashOutcome {
  shared ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  return toHashOutcome(drainSync(hashRetrySteps({ fs, crypto }, request, shared), onBytes));
}
