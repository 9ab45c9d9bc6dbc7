import { closeSync, fstatSync, writeSync } from 'node:fs';
import { createLogChain, LOG_CHAIN_SUFFIX, type LogChain } from '@runwarden/evidence-hasher';
import { openAppendFile, StatePathError } from '@runwarden/safe-fs';
import { WATCHDOG_DEFAULTS } from './defaults.js';
import { renameQuietly, unlinkQuietly } from './quiet-fs.js';
import { unsafeFileError } from './unsafe-file.js';

/** Size cap and rotation of one log stream, as supervisord's `stdout_logfile_maxbytes` / `stdout_logfile_backups`. */
export interface LogRotationOptions {
  /**
   * Largest size of the live file in bytes; the file is rotated before a write
   * would pass it, so no file is ever larger. `0` means no cap.
   * @default WATCHDOG_DEFAULTS.logs.maxBytes (52428800: 50 MB, supervisord's default)
   */
  maxBytes?: number;
  /**
   * Rotated files kept beside the live one (`stdout.log.1` is the newest);
   * `0` keeps none (the live file starts over).
   * @default WATCHDOG_DEFAULTS.logs.backups (5)
   */
  backups?: number;
  /**
   * Keep a SHA-256 chunk chain beside each file (`<file>.sha256chain`, per
   * 1 MiB, from `@runwarden/evidence-hasher`), fed as bytes are written, so a
   * crash still leaves evidence up to the last chunk and a truncation or edit
   * is detected by `verifyLogChain`. Rotated with its file.
   * @default WATCHDOG_DEFAULTS.logChain (true)
   */
  chain?: boolean;
}

/**
 * An append-only log file with a size cap and numbered backups, written
 * synchronously so lines keep their order and a crash loses nothing already
 * handed over. Rotation follows supervisord (`<file>.1` … `<file>.N`, the
 * oldest dropped). Files are created 0600 and never followed through a symlink.
 */
export class RotatingLog {
  private fd: number;
  private size: number;
  private readonly maxBytes: number;
  private readonly backups: number;
  private readonly chained: boolean;
  private chain: LogChain | undefined;
  /** Rotations done so far. */
  rotations = 0;
  private closed = false;

  /**
   * @param path - the live file, e.g. `<runDir>/stdout.log`; appended to when it exists.
   * @param options - size cap and backups.
   * @throws {WatchdogError} `ERR_UNSAFE_PATH` when the path is a symlink.
   */
  constructor(
    readonly path: string,
    options: LogRotationOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? WATCHDOG_DEFAULTS.logs.maxBytes;
    this.backups = options.backups ?? WATCHDOG_DEFAULTS.logs.backups;
    this.chained = options.chain ?? WATCHDOG_DEFAULTS.logChain;
    this.fd = this.open();
    this.size = fstatSync(this.fd).size;
  }

  private open(): number {
    try {
      // Never a blocking open: a FIFO or socket put at the log's path is refused at once.
      const fd = openAppendFile(this.path);
      // The chain starts from what the file already holds, then follows every
      // write. Like the log itself it is not fsynced: a crash of any process
      // loses no written line; only a power loss could, and then the log too.
      if (this.chained)
        this.chain = createLogChain(this.path, { wholeFileDigest: false, fsync: false });
      return fd;
    } catch (error) {
      if (!StatePathError.isInstance(error)) throw error;
      throw unsafeFileError(error, {
        kind: 'Log',
        path: this.path,
        hint: `Move ${this.path} aside; a log must be a regular file.`,
      });
    }
  }

  /**
   * Appends bytes, rotating first whenever the live file would pass `maxBytes`
   * (a chunk larger than the room left is split across files). A no-op once closed.
   *
   * @param chunk - the bytes to append.
   */
  write(chunk: Buffer): void {
    if (this.closed) return;
    let offset = 0;
    while (offset < chunk.length) {
      let room = chunk.length - offset;
      if (this.maxBytes > 0) {
        if (this.size >= this.maxBytes) this.rotate();
        room = Math.min(room, this.maxBytes - this.size);
      }
      const written = writeSync(this.fd, chunk, offset, room);
      // After the write, never before: the chain is never ahead of the log.
      this.chain?.update(chunk.subarray(offset, offset + written));
      offset += written;
      this.size += written;
    }
  }

  /** Moves `<file>` to `<file>.1` (and each `.i` to `.i+1`, dropping the oldest) and starts a new live file. */
  rotate(): void {
    this.chain?.close();
    closeSync(this.fd);
    const chain = (path: string) => `${path}${LOG_CHAIN_SUFFIX}`;
    if (this.backups === 0) {
      unlinkQuietly(this.path);
      unlinkQuietly(chain(this.path));
    } else {
      unlinkQuietly(`${this.path}.${this.backups}`);
      unlinkQuietly(chain(`${this.path}.${this.backups}`));
      for (let index = this.backups - 1; index >= 1; index--) {
        renameQuietly(`${this.path}.${index}`, `${this.path}.${index + 1}`);
        renameQuietly(chain(`${this.path}.${index}`), chain(`${this.path}.${index + 1}`));
      }
      renameQuietly(this.path, `${this.path}.1`);
      renameQuietly(chain(this.path), chain(`${this.path}.1`));
    }
    this.fd = this.open();
    this.size = 0;
    this.rotations++;
  }

  /** Closes the live file; later writes are dropped (a pipe may deliver its last bytes after the run ended). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.chain?.close();
    closeSync(this.fd);
  }
}
