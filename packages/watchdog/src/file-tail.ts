import {
  closeSync,
  constants,
  type FSWatcher,
  fstatSync,
  openSync,
  readSync,
  watch,
} from 'node:fs';
import { WatchdogError } from './errors.js';
import type { OutputStreamName } from './output-stream.js';

/**
 * With `watch: true`, how often a {@link FileTail} looks at its file even
 * without an inotify event (a missed event, a filesystem without them), in ms.
 */
export const FILE_TAIL_FALLBACK_MS = 2000;

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
  private watcher: FSWatcher | undefined;
  private dirty = true;
  private lastLookMs = Number.NEGATIVE_INFINITY;
  /** The next byte to read. */
  offset: number;

  /**
   * @param path - the file.
   * @param stream - which output stream its bytes are.
   * @param options - `startOffset`: where to start reading (@default the current end of the file);
   *   `create`: create a missing file 0600 (@default true; `false` waits for it to appear, reading it from byte 0);
   *   `watch`: learn of writes from inotify (`fs.watch`), so {@link FileTail.mayHaveNew} saves the
   *   `fstat` of an idle file (@default false).
   * @throws {WatchdogError} `ERR_UNSAFE_PATH` when the path is a symlink or not a regular file
   *   (a FIFO is refused at once, never opened for a blocking read).
   */
  constructor(
    readonly path: string,
    readonly stream: OutputStreamName,
    private readonly options: { startOffset?: number; create?: boolean; watch?: boolean } = {},
  ) {
    this.open();
    this.offset = options.startOffset ?? this.size();
    if (options.watch && this.fd !== undefined) {
      try {
        this.watcher = watch(path, { persistent: false }, () => {
          this.dirty = true;
        });
        this.watcher.on('error', () => this.unwatch());
      } catch {
        this.watcher = undefined;
      }
    }
  }

  private unwatch(): void {
    this.watcher?.close();
    this.watcher = undefined;
  }

  /**
   * Whether a read may find new bytes: always without a watch; with one, after
   * an inotify event, and every {@link FILE_TAIL_FALLBACK_MS} regardless.
   *
   * @returns true when {@link FileTail.read} is worth calling now.
   */
  mayHaveNew(): boolean {
    if (!this.watcher) return true;
    const now = performance.now();
    if (!this.dirty && now - this.lastLookMs < FILE_TAIL_FALLBACK_MS) return false;
    // Cleared before the read: a write during it sets it again.
    this.dirty = false;
    this.lastLookMs = now;
    return true;
  }

  private open(): void {
    const create = this.options.create ?? true;
    try {
      // O_NONBLOCK: a FIFO put where the log belongs opens at once instead of blocking the event loop.
      const fd = openSync(
        this.path,
        constants.O_RDONLY |
          constants.O_NOFOLLOW |
          constants.O_NONBLOCK |
          (create ? constants.O_CREAT : 0),
        0o600,
      );
      if (!fstatSync(fd).isFile()) {
        closeSync(fd);
        throw new WatchdogError({
          code: 'ERR_UNSAFE_PATH',
          message: `Log ${this.path} is not a regular file (a FIFO, socket, device or directory); refusing it.`,
          path: this.path,
          hint: 'Move it aside; runwarden follows only regular files.',
        });
      }
      this.fd = fd;
    } catch (error) {
      if (WatchdogError.isInstance(error)) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP')
        throw new WatchdogError({
          code: 'ERR_UNSAFE_PATH',
          message: `Log ${this.path} is a symlink; refusing it.`,
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
    if (this.fd === undefined && !this.closed) {
      try {
        this.open();
      } catch {
        // What appeared at the path is no log (a FIFO, a symlink, …): it is never followed.
        this.closed = true;
      }
    }
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
    this.unwatch();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
