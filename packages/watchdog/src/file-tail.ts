import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { WatchdogError } from './errors.js';
import type { OutputStreamName } from './tee.js';

/** The most a {@link FileTail} reads in one {@link FileTail.read} call, in bytes. */
export const FILE_TAIL_READ_BYTES = 1 << 20;

/**
 * Follows a file that another process appends to, like `tail -f` on one
 * descriptor: every call hands over the bytes added since the last one. A file
 * cut shorter than what was read (copy-truncate rotation, or a person's `: >
 * file`) is read again from its start. The descriptor is opened once,
 * read-only, never through a symlink (`O_NOFOLLOW`); a missing file is created
 * 0600 so the writer and the tail meet on one inode (or, with `create: false`,
 * looked for again at each read).
 *
 * One tail serves both the watchdog's own log files (`output: 'file'`) and the
 * files of an adopted process (`adopt.outputFile`, `adopt.stderrFile`).
 */
export class FileTail {
  private fd: number | undefined;
  private closed = false;
  /** The next byte to read. */
  offset: number;

  /**
   * @param path - the file.
   * @param stream - which output stream its bytes are.
   * @param options - `startOffset`: where to start reading (@default the current end of the file);
   *   `create`: create a missing file 0600 (@default true; `false` waits for it to appear, reading it from byte 0).
   * @throws {WatchdogError} `ERR_UNSAFE_PATH` when the path is a symlink.
   */
  constructor(
    readonly path: string,
    readonly stream: OutputStreamName,
    private readonly options: { startOffset?: number; create?: boolean } = {},
  ) {
    this.open();
    this.offset = options.startOffset ?? this.size();
  }

  private open(): void {
    const create = this.options.create ?? true;
    try {
      this.fd = openSync(
        this.path,
        constants.O_RDONLY | constants.O_NOFOLLOW | (create ? constants.O_CREAT : 0),
        0o600,
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP')
        throw new WatchdogError('ERR_UNSAFE_PATH', `Log ${this.path} is a symlink; refusing it.`, {
          path: this.path,
          cause: error,
        });
      if (code !== 'ENOENT' || create) throw error;
    }
  }

  /** The file's size now, in bytes (0 once closed). */
  size(): number {
    return this.fd === undefined ? 0 : fstatSync(this.fd).size;
  }

  /**
   * Reads what was appended since the last call, at most `maxBytes`.
   *
   * @param onChunk - called with each chunk read, in order (a fresh buffer it may keep).
   * @param maxBytes - the most to read now. @default FILE_TAIL_READ_BYTES (1 MiB)
   * @param untilOffset - stop at this offset (the bytes after it are left for later). @default the end of the file
   * @returns how many bytes were read.
   */
  read(
    onChunk: (chunk: Buffer) => void,
    maxBytes: number = FILE_TAIL_READ_BYTES,
    untilOffset?: number,
  ): number {
    if (this.fd === undefined && !this.closed) this.open();
    if (this.fd === undefined) return 0;
    const size = this.size();
    if (size < this.offset) this.offset = 0;
    const end = Math.min(size, untilOffset ?? size);
    let total = 0;
    while (this.offset < end && total < maxBytes) {
      const length = Math.min(end - this.offset, maxBytes - total, FILE_TAIL_READ_BYTES);
      const chunk = Buffer.allocUnsafe(length);
      const read = readSync(this.fd, chunk, 0, length, this.offset);
      if (read <= 0) break;
      this.offset += read;
      total += read;
      onChunk(read === length ? chunk : chunk.subarray(0, read));
    }
    return total;
  }

  /** Closes the descriptor; later reads return nothing. */
  close(): void {
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
