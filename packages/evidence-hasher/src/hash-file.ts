import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** Read buffer size: large reads keep OpenSSL's SHA-256 fed (the 64 KiB stream default halves throughput). */
export const READ_BUFFER_BYTES = 1024 * 1024;

let shared: Buffer | undefined;

/** The result of {@link hashFileSync}. */
export interface FileDigest {
  sha256: string;
  sizeBytes: number;
  /** True when size, mtime or inode changed while the file was read. */
  changedWhileReading: boolean;
}

/**
 * Streams one regular file through SHA-256 (node:crypto, OpenSSL) with a
 * reused 1 MiB buffer; never reads the whole file into memory, so files over
 * 2 GiB work. Opens with `O_NOFOLLOW` and `O_NONBLOCK` so neither a symlink nor a
 * FIFO swapped in can redirect or block it.
 *
 * @throws the `open`/`read` error (`EACCES`, `ELOOP`, …) as Node reports it.
 */
export function hashFileSync(path: string): FileDigest {
  const buffer = shared ?? Buffer.allocUnsafe(READ_BUFFER_BYTES);
  shared = buffer;
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const before = fstatSync(fd);
    if (!before.isFile())
      throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTREG' });
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read === 0) break;
      hash.update(read === buffer.length ? buffer : buffer.subarray(0, read));
      size += read;
    }
    const after = fstatSync(fd);
    const changedWhileReading =
      after.size !== before.size ||
      after.mtimeMs !== before.mtimeMs ||
      after.ino !== before.ino ||
      size !== after.size;
    return { sha256: hash.digest('hex'), sizeBytes: size, changedWhileReading };
  } finally {
    closeSync(fd);
  }
}
