import { closeSync, constants, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { createLogChain, LOG_CHAIN_SUFFIX, type LogChain } from '@runwarden/evidence-hasher';
import { WATCHDOG_DEFAULTS } from './defaults.js';
import { WatchdogError } from './errors.js';
import { FileTail } from './file-tail.js';
import type { OutputStreamName } from './output-stream.js';
import { renameQuietly, unlinkQuietly } from './quiet-fs.js';
import type { LogRotationOptions } from './rotating-log.js';

const COPY_BLOCK_BYTES = 1 << 20;
/** The most one poll reads per stream, so a flood of output cannot starve the event loop. */
const POLL_BYTES = 8 << 20;

function openPrivate(path: string, flags: number): number {
  try {
    return openSync(path, flags | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      throw new WatchdogError({
        code: 'ERR_UNSAFE_PATH',
        message: `Log ${path} is a symlink; refusing it.`,
        path,
        cause: error,
      });
    throw error;
  }
}

/**
 * One log file that the child writes itself (it is the child's stdout or
 * stderr), followed by a {@link FileTail}: each byte read is hashed into the
 * log's chain (`<file>.sha256chain`) and handed on. Rotation is copy-truncate,
 * logrotate's `copytruncate`: the live file is copied to `<file>.1` (older
 * backups shift to `.2` … `.N`, the oldest is dropped) and then cut to zero
 * length in place, so the child's descriptor never changes; it was opened
 * `O_APPEND`, so its next write lands at the new end. As with logrotate, bytes
 * written in the instant between the last read and the cut are lost; the cap
 * is soft (a file may pass `maxBytes` by what arrives between two polls).
 */
export class FollowedLog {
  private readonly tail: FileTail;
  private readonly maxBytes: number;
  private readonly backups: number;
  private readonly chained: boolean;
  private chain: LogChain | undefined;
  /** Rotations done so far. */
  rotations = 0;

  /**
   * @param path - the log file (created 0600 when missing; appended to when it exists).
   * @param stream - which stream it is.
   * @param rotation - size cap, backups and chain. @default WATCHDOG_DEFAULTS.logs
   * @throws {WatchdogError} `ERR_UNSAFE_PATH` when the path is a symlink.
   */
  constructor(
    readonly path: string,
    readonly stream: OutputStreamName,
    rotation: LogRotationOptions = {},
  ) {
    this.maxBytes = rotation.maxBytes ?? WATCHDOG_DEFAULTS.logs.maxBytes;
    this.backups = rotation.backups ?? WATCHDOG_DEFAULTS.logs.backups;
    this.chained = rotation.chain ?? WATCHDOG_DEFAULTS.logChain;
    this.tail = new FileTail(path, stream, { startOffset: 0, watch: true });
    // The chain starts from what the file already holds (an adopted run's log), then follows each read.
    this.chain = this.chained ? this.newChain() : undefined;
    this.tail.offset = this.chain?.bytes ?? this.tail.size();
  }

  private newChain(): LogChain {
    return createLogChain(this.path, { wholeFileDigest: false, fsync: false });
  }

  /**
   * Opens a descriptor for the child to write to (`O_WRONLY | O_APPEND`, 0600,
   * never through a symlink). The caller passes it in the child's stdio and
   * closes its own copy once the child is spawned.
   *
   * @returns the descriptor.
   */
  openForChild(): number {
    return openPrivate(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT);
  }

  /**
   * Hands over what the child wrote since the last poll, then rotates when the
   * file reached `maxBytes`. Without `force`, an idle file costs nothing (its
   * inotify watch said nothing, see {@link FileTail.mayHaveNew}).
   *
   * @param onChunk - called with each chunk, in order.
   * @param force - read even without a change notice (a final drain). @default false
   * @returns bytes read.
   */
  poll(onChunk: (chunk: Buffer) => void, force = false): number {
    const feed = (chunk: Buffer) => {
      this.chain?.update(chunk);
      onChunk(chunk);
    };
    if (!this.tail.mayHaveNew() && !force) return 0;
    let read = this.tail.read(feed, POLL_BYTES);
    if (this.maxBytes > 0 && this.tail.offset >= this.maxBytes) read += this.rotate(feed, onChunk);
    return read;
  }

  /** Copy-truncate: see the class. Returns the bytes read meanwhile. */
  private rotate(feed: (chunk: Buffer) => void, onChunk: (chunk: Buffer) => void): number {
    let read = 0;
    const chainOf = (path: string) => `${path}${LOG_CHAIN_SUFFIX}`;
    for (let got = this.tail.read(feed); got > 0; got = this.tail.read(feed)) read += got;
    if (this.backups === 0) {
      // No backup kept: what is in the file now is dropped with it.
      read += this.tail.read(feed, Number.POSITIVE_INFINITY);
      this.truncateLive();
    } else {
      unlinkQuietly(`${this.path}.${this.backups}`);
      unlinkQuietly(chainOf(`${this.path}.${this.backups}`));
      for (let index = this.backups - 1; index >= 1; index--) {
        renameQuietly(`${this.path}.${index}`, `${this.path}.${index + 1}`);
        renameQuietly(chainOf(`${this.path}.${index}`), chainOf(`${this.path}.${index + 1}`));
      }
      const backup = openPrivate(
        `${this.path}.1`,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      );
      try {
        this.copyPrefix(backup, this.tail.offset);
        // What arrived during the copy goes to the backup too, then the live file is cut at once.
        read += this.tail.read((chunk) => {
          feed(chunk);
          writeSync(backup, chunk);
        }, Number.POSITIVE_INFINITY);
        this.truncateLive();
      } finally {
        closeSync(backup);
      }
    }
    this.chain?.close();
    if (this.backups === 0) unlinkQuietly(chainOf(this.path));
    else renameQuietly(chainOf(this.path), chainOf(`${this.path}.1`));
    this.rotations++;
    // Bytes written after the cut are chained from disk by the new chain; hand them on too.
    this.chain = this.chained ? this.newChain() : undefined;
    this.tail.offset = 0;
    read += this.tail.read(onChunk, Number.POSITIVE_INFINITY, this.chain?.bytes ?? 0);
    return read;
  }

  private truncateLive(): void {
    const writer = openPrivate(this.path, constants.O_WRONLY);
    try {
      ftruncateSync(writer, 0);
    } finally {
      closeSync(writer);
    }
  }

  /** Copies the first `length` bytes of the live file to the backup's descriptor. */
  private copyPrefix(destination: number, length: number): void {
    const source = openPrivate(this.path, constants.O_RDONLY);
    try {
      const block = Buffer.allocUnsafe(COPY_BLOCK_BYTES);
      let position = 0;
      while (position < length) {
        const got = readSync(source, block, 0, Math.min(block.length, length - position), position);
        if (got <= 0) break;
        writeSync(destination, block, 0, got);
        position += got;
      }
    } finally {
      closeSync(source);
    }
  }

  /** Closes the tail and the chain (the chain's `end` line is written). */
  close(): void {
    this.tail.close();
    this.chain?.close();
    this.chain = undefined;
  }
}
