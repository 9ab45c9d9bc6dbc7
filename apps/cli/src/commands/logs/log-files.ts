import { closeSync, existsSync, readSync, statSync } from 'node:fs';
import { openRegularFile, StatePathError } from '@runwarden/safe-fs';
import { CliError } from '../../errors.js';

const BLOCK = 65_536;

/**
 * The last `count` lines of a log and its rotated files (`stdout.log`, then
 * `stdout.log.1`, …), read backwards in blocks so a 50 MB log costs a few reads.
 *
 * @param path - the live log.
 * @param count - how many lines.
 * @returns the lines, oldest first, without their `\n`.
 */
export function tailLines(path: string, count: number): string[] {
  if (count <= 0) return [];
  const files = [path];
  for (let index = 1; existsSync(`${path}.${index}`); index++) files.push(`${path}.${index}`);
  const pieces: Buffer[] = [];
  let newlines = 0;
  for (const file of files) {
    const opened = openLog(file);
    if (!opened) continue;
    const { fd } = opened;
    try {
      let position = opened.stat.size;
      while (position > 0 && newlines <= count) {
        const length = Math.min(BLOCK, position);
        position -= length;
        const block = Buffer.alloc(length);
        readSync(fd, block, 0, length, position);
        pieces.unshift(block);
        for (const byte of block) if (byte === 10) newlines++;
      }
    } finally {
      closeSync(fd);
    }
    if (newlines > count) break;
  }
  const lines = Buffer.concat(pieces).toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}

/**
 * Opens a log of a run without blocking or following a symlink (a FIFO put
 * there would hang `runwarden logs`).
 *
 * @throws {CliError} `INVALID_STATE` (exit 7) when it is not a regular file.
 */
function openLog(path: string): ReturnType<typeof openRegularFile> {
  try {
    return openRegularFile(path);
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    throw new CliError({
      reason: 'INVALID_STATE',
      message: `Log ${error.message}`,
      hint: `Move ${path} aside.`,
      data: { path },
    });
  }
}

/** Follows one file like `tail -F`: new bytes, across a rotation (the old file's rest first). */
export class FileFollower {
  private ino: number | undefined;
  private offset: number;

  /**
   * Starts at the end of the file (or at nothing, while it does not exist).
   *
   * @param path - the file to follow.
   * @param onBytes - called with each new chunk, in order.
   */
  constructor(
    private readonly path: string,
    private readonly onBytes: (chunk: Buffer) => void,
  ) {
    const stat = existsSync(path) ? statSync(path) : undefined;
    this.ino = stat?.ino;
    this.offset = stat?.size ?? 0;
  }

  private readFrom(path: string, from: number): number {
    let fd: number;
    try {
      const opened = openRegularFile(path);
      if (!opened) return from;
      fd = opened.fd;
    } catch {
      return from;
    }
    try {
      let position = from;
      for (;;) {
        const block = Buffer.alloc(BLOCK);
        const read = readSync(fd, block, 0, BLOCK, position);
        if (read <= 0) break;
        this.onBytes(block.subarray(0, read));
        position += read;
      }
      return position;
    } finally {
      closeSync(fd);
    }
  }

  /** Reads what was written since the last poll (the rest of a rotated file first). */
  poll(): void {
    const stat = existsSync(this.path) ? statSync(this.path) : undefined;
    if (!stat) return;
    if (this.ino !== undefined && stat.ino !== this.ino) {
      // Rotated: finish the old file (now `.1`) from where we were, then start the new one.
      const rotated = `${this.path}.1`;
      if (existsSync(rotated) && statSync(rotated).ino === this.ino)
        this.readFrom(rotated, this.offset);
      this.offset = 0;
    } else if (stat.size < this.offset) {
      this.offset = 0;
    }
    this.ino = stat.ino;
    this.offset = this.readFrom(this.path, this.offset);
  }
}
