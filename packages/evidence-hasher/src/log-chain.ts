import { createHash, type Hash } from 'node:crypto';
import {
  closeSync,
  constants,
  fdatasyncSync,
  fstatSync,
  openSync,
  readSync,
  writeSync,
} from 'node:fs';
import { openAppendFile } from '@runwarden/safe-fs';
import { EvidenceError } from './errors.js';
import { READ_BUFFER_BYTES } from './hash-file.js';

import {
  genesis,
  headerLine,
  LOG_CHAIN_CHUNK_BYTES,
  LOG_CHAIN_SUFFIX,
  type LogChainOptions,
  nextLink,
} from './log-chain-format.js';
/** What {@link LogChain.close} returns. */
export interface LogChainSummary {
  /** Bytes chained (the log's length when every write reached it). */
  bytes: number;
  /** Chunk lines written. */
  chunks: number;
  /** Hex SHA-256 of the whole log, the same as `sha256sum <log>` prints; `undefined` with `wholeFileDigest: false`. */
  sha256: string | undefined;
  /** Hex of the last link of the chain (commits to the whole log). */
  head: string;
}

/** A log's hash chain, fed with the bytes as they are appended to the log. */
export interface LogChain {
  readonly logPath: string;
  readonly sidecarPath: string;
  /** Bytes fed so far. */
  readonly bytes: number;
  /** Complete chunks recorded so far. */
  readonly chunks: number;
  /**
   * Feeds bytes just appended to the log, in the order they were written.
   * Each completed chunk is recorded in the sidecar before `update` returns,
   * so feed bytes once they have reached the log (with a `fs.WriteStream`:
   * `stream.write(chunk, () => chain.update(chunk))`, whose callbacks run in
   * order); then a crash never leaves the sidecar ahead of the log.
   *
   * @param chunk The bytes (a string is taken as UTF-8).
   * @throws {EvidenceError} `ERR_EVIDENCE_LOG_CHAIN` after `close()` or when the sidecar cannot be written.
   */
  update(chunk: Uint8Array | string): void;
  /**
   * Records the last partial chunk and the `end` line (total bytes, the whole
   * log's SHA-256, the head link) and closes the sidecar. Calling it again
   * returns the same summary.
   *
   * @returns The summary.
   * @throws {EvidenceError} `ERR_EVIDENCE_LOG_CHAIN` when the sidecar cannot be written.
   */
  close(): LogChainSummary;
}

/**
 * Starts the hash chain of a log: `update(bytes)` as bytes are appended,
 * `close()` at the end. Every complete 1 MiB chunk adds one line to the
 * sidecar, `chunk <index> <offset> <length> <sha256> <link>`, where
 * `link = SHA-256(previous link ‖ chunk digest)` and the first link's
 * predecessor is the SHA-256 of the header line; each line is written with
 * one `write(2)` (and `fdatasync`), so a crash leaves a verifiable chain up
 * to the last complete chunk, and a truncated or edited log is detected by
 * `verifyLogChain`. A log that already holds bytes is chained from disk
 * first, so the chain always covers the file from byte 0. The chain has no
 * secret: it proves integrity against accidents and later edits once its
 * head (or the sidecar) is recorded elsewhere, e.g. in the run's evidence.
 *
 * Create it before the first byte is written to the log.
 *
 * @param logPath The log file (need not exist yet).
 * @param options Sidecar path, chunk size, fsync.
 * @returns The chain.
 * @throws {EvidenceError} `ERR_EVIDENCE_LOG_CHAIN` when the sidecar cannot be created (it is never followed through a symlink) or the existing log cannot be read.
 */
export function createLogChain(logPath: string, options: LogChainOptions = {}): LogChain {
  const sidecarPath = options.sidecarPath ?? `${logPath}${LOG_CHAIN_SUFFIX}`;
  const chunkBytes = options.chunkBytes ?? LOG_CHAIN_CHUNK_BYTES;
  const sync = options.fsync ?? true;
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0)
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_LOG_CHAIN',
      path: sidecarPath,
      message: `chunkBytes must be a positive integer, not ${chunkBytes}.`,
    });
  const fail = (action: string, error: unknown): never => {
    throw new EvidenceError({
      code: 'ERR_EVIDENCE_LOG_CHAIN',
      path: sidecarPath,
      message: `Cannot ${action} the log chain ${sidecarPath}: ${(error as Error).message}`,
      cause: error,
      hint: 'Check the space and permissions of the run directory.',
    });
  };
  let fd: number;
  try {
    // Never a blocking open: a FIFO at the sidecar's path is refused at once.
    fd = openAppendFile(sidecarPath, { truncate: true });
  } catch (error) {
    return fail('create', error);
  }
  const header = headerLine(chunkBytes);
  let link = genesis(header);
  let chunkHash: Hash = createHash('sha256');
  const fileHash = (options.wholeFileDigest ?? true) ? createHash('sha256') : undefined;
  let inChunk = 0;
  let bytes = 0;
  let chunks = 0;
  let summary: LogChainSummary | undefined;

  const writeLine = (line: string) => {
    try {
      writeSync(fd, `${line}\n`);
      if (sync) fdatasyncSync(fd);
    } catch (error) {
      fail('write', error);
    }
  };
  const endChunk = () => {
    const digest = chunkHash.digest();
    link = nextLink(link, digest);
    writeLine(
      `chunk ${chunks} ${bytes - inChunk} ${inChunk} ${digest.toString('hex')} ${link.toString('hex')}`,
    );
    chunks++;
    inChunk = 0;
    chunkHash = createHash('sha256');
  };
  const feed = (data: Uint8Array) => {
    let offset = 0;
    while (offset < data.length) {
      const take = Math.min(chunkBytes - inChunk, data.length - offset);
      const part =
        offset === 0 && take === data.length ? data : data.subarray(offset, offset + take);
      chunkHash.update(part);
      fileHash?.update(part);
      inChunk += take;
      bytes += take;
      offset += take;
      if (inChunk === chunkBytes) endChunk();
    }
  };

  writeLine(header);
  // Chain what the log already holds.
  let logFd: number | undefined;
  try {
    logFd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      closeSync(fd);
      fail('read the existing log for', error);
    }
  }
  if (logFd !== undefined) {
    try {
      if (fstatSync(logFd).isFile()) {
        const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
        for (;;) {
          const read = readSync(logFd, buffer, 0, buffer.length, null);
          if (read === 0) break;
          feed(buffer.subarray(0, read));
        }
      }
    } finally {
      closeSync(logFd);
    }
  }

  return {
    logPath,
    sidecarPath,
    get bytes() {
      return bytes;
    },
    get chunks() {
      return chunks;
    },
    update(chunk) {
      if (summary)
        throw new EvidenceError({
          code: 'ERR_EVIDENCE_LOG_CHAIN',
          path: sidecarPath,
          message: `The log chain ${sidecarPath} is closed.`,
          hint: 'Feed every write before close().',
        });
      feed(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
    },
    close() {
      if (summary) return summary;
      if (inChunk > 0) endChunk();
      const sha256 = fileHash?.digest('hex');
      writeLine(`end ${bytes} ${sha256 ?? '-'} ${link.toString('hex')}`);
      try {
        closeSync(fd);
      } catch (error) {
        fail('close', error);
      }
      summary = { bytes, chunks, sha256, head: link.toString('hex') };
      return summary;
    },
  };
}
