import { closeSync, openSync, readSync } from 'node:fs';

let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * Reads a `/proc` file whole with one open, as few reads as it takes, and one
 * close, into a reused buffer. `/proc` files report size 0, so
 * `fs.readFileSync` reads them through growing buffers; this is about three
 * times faster for `environ` and never allocates for `stat`.
 *
 * @param path - e.g. `/proc/1234/stat`.
 * @returns a view of the bytes, valid until the next call (copy it to keep it).
 * @throws the `fs` error (`ENOENT` when the process is gone, `EACCES`…).
 */
export function readProcFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      if (length === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, length);
        scratch = bigger;
      }
      const read = readSync(fd, scratch, length, scratch.length - length, null);
      if (read === 0) break;
      length += read;
    }
    return scratch.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a `/proc` text file (`stat`, `uptime`) as a string.
 *
 * @param path - e.g. `/proc/1234/stat`.
 * @returns the text.
 * @throws the `fs` error (`ENOENT` when the process is gone).
 */
export function readProcText(path: string): string {
  return readProcFile(path).toString('utf8');
}
