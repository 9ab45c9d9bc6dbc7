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
import { openAppendFile, readRegularFile } from '@runwarden/safe-fs';
import { EvidenceError } from './errors.js';
import { READ_BUFFER_BYTES } from './hash-file.js';

/** Bytes per chained chunk: 1 MiB. */
export const LOG_CHAIN_CHUNK_BYTES = 1024 * 1024;

/** The sidecar's suffix: `stdout.log` → `stdout.log.sha256chain`. */
export const LOG_CHAIN_SUFFIX = '.sha256chain';

/**
 * The most bytes read from a log chain sidecar: about 100 bytes a chunk of
 * {@link LOG_CHAIN_CHUNK_BYTES}, so 64 MiB covers a 640 GiB log.
 */
export const MAX_LOG_CHAIN_BYTES = 64 * 1024 * 1024;

const MAGIC = 'runwarden-log-chain';

/** Options for {@link createLogChain} and {@link verifyLogChain}. */
export interface LogChainOptions {
  /**
   * The sidecar file.
   * @default `<logPath>.sha256chain`
   */
  sidecarPath?: string;
  /**
   * Bytes per chunk (recorded in the sidecar's header; verify reads it from there).
   * @default 1048576 (1 MiB)
   */
  chunkBytes?: number;
  /**
   * `fdatasync(2)` the sidecar after every line, so the chain survives a
   * power loss too (a process crash never loses a written line either way).
   * @default true
   */
  fsync?: boolean;
  /**
   * Also hash the whole log as it is fed and record its SHA-256 in the end
   * line. Off, the end line says `-` there: the chain still commits to every
   * byte, and each byte is hashed once instead of twice (what the watchdog's
   * hot path wants; the run's `SHA256SUMS` has the whole-file digest anyway).
   * Only for {@link createLogChain}.
   * @default true
   */
  wholeFileDigest?: boolean;
}

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

const genesis = (header: string) => createHash('sha256').update(header).digest();
const nextLink = (previous: Buffer, chunkDigest: Buffer) =>
  createHash('sha256').update(previous).update(chunkDigest).digest();
const headerLine = (chunkBytes: number) => `${MAGIC} 1 sha256 ${chunkBytes}`;

/**
 * Starts the hash chain of a log: `update(bytes)` as bytes are appended,
 * `close()` at the end. Every complete 1 MiB chunk adds one line to the
 * sidecar, `chunk <index> <offset> <length> <sha256> <link>`, where
 * `link = SHA-256(previous link ‖ chunk digest)` and the first link's
 * predecessor is the SHA-256 of the header line; each line is written with
 * one `write(2)` (and `fdatasync`), so a crash leaves a verifiable chain up
 * to the last complete chunk, and a truncated or edited log is detected by
 * {@link verifyLogChain}. A log that already holds bytes is chained from disk
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

/**
 * What {@link verifyLogChain} found:
 * - `ok`: the chain is closed and the log matches it byte for byte;
 * - `partial`: no `end` line (the writer crashed or is still writing), every complete chunk matches; later bytes are unverified;
 * - `truncated`: the log is shorter than the chain records;
 * - `modified`: a chunk's bytes differ (`firstBadChunk` says which);
 * - `extended`: the chain is closed but the log holds more bytes;
 * - `corrupt`: the sidecar is not a valid chain (bad header, broken link, bad line);
 * - `missing`: the log or the sidecar does not exist.
 */
export type LogChainStatus =
  | 'ok'
  | 'partial'
  | 'truncated'
  | 'modified'
  | 'extended'
  | 'corrupt'
  | 'missing';

/** The result of {@link verifyLogChain}. */
export interface LogChainVerification {
  /** True for `ok` and `partial`: nothing the chain records was changed. */
  ok: boolean;
  status: LogChainStatus;
  /** Whether the sidecar has its `end` line. */
  closed: boolean;
  /** The log's size now, in bytes (0 when missing). */
  logBytes: number;
  /** Bytes the chain records. */
  chainedBytes: number;
  /** Bytes from 0 that match the chain. */
  verifiedBytes: number;
  /** Chunk lines in the sidecar. */
  chunks: number;
  /** The first chunk that is missing from the log or differs. */
  firstBadChunk?: { index: number; offset: number };
  /** The last link recorded (hex), when the sidecar has one. */
  head?: string;
  /** One line for people. */
  message: string;
}

/**
 * Verifies a log against its hash chain: checks the sidecar's links, then
 * re-hashes the log chunk by chunk (streaming, never reading it whole) and
 * reports the first chunk that is missing or differs.
 *
 * @param logPath The log file.
 * @param options The sidecar path.
 * @returns The verification; never throws for a bad log or sidecar (that is the answer).
 */
export function verifyLogChain(
  logPath: string,
  options: Pick<LogChainOptions, 'sidecarPath'> = {},
): LogChainVerification {
  const sidecarPath = options.sidecarPath ?? `${logPath}${LOG_CHAIN_SUFFIX}`;
  const result = (
    status: LogChainStatus,
    message: string,
    extra: Partial<LogChainVerification> = {},
  ): LogChainVerification => ({
    ok: status === 'ok' || status === 'partial',
    status,
    closed: false,
    logBytes: 0,
    chainedBytes: 0,
    verifiedBytes: 0,
    chunks: 0,
    message,
    ...extra,
  });
  let text: string;
  try {
    const file = readRegularFile(sidecarPath, { maxBytes: MAX_LOG_CHAIN_BYTES });
    if (!file) return result('missing', `There is no log chain ${sidecarPath}.`);
    text = file.bytes.toString('utf8');
  } catch (error) {
    return result(
      'corrupt',
      `${sidecarPath} cannot be read as a log chain: ${(error as Error).message}`,
    );
  }
  // A line without its newline was torn by a crash: ignore it.
  const lines = text.split('\n');
  lines.pop();
  const header = /^runwarden-log-chain 1 sha256 (\d+)$/.exec(lines[0] ?? '');
  if (!header)
    return result('corrupt', `${sidecarPath} does not start with a runwarden log chain header.`);
  const chunkBytes = Number(header[1]);
  let link = genesis(lines[0]!);
  const chunkLines: { index: number; offset: number; length: number; digest: string }[] = [];
  let end: { bytes: number; sha256: string; head: string } | undefined;
  let chained = 0;
  for (const [number, line] of lines.slice(1).entries()) {
    const where = `${sidecarPath} line ${number + 2}`;
    if (end) return result('corrupt', `${where}: a line after the end line.`);
    const chunk = /^chunk (\d+) (\d+) (\d+) ([0-9a-f]{64}) ([0-9a-f]{64})$/.exec(line);
    if (chunk) {
      const [index, offset, length] = [Number(chunk[1]), Number(chunk[2]), Number(chunk[3])];
      const previousWasPartial = chunkLines.length > 0 && chunkLines.at(-1)!.length !== chunkBytes;
      if (
        index !== chunkLines.length ||
        offset !== chained ||
        length <= 0 ||
        length > chunkBytes ||
        previousWasPartial
      )
        return result('corrupt', `${where}: chunk ${index} does not follow the previous one.`);
      link = nextLink(link, Buffer.from(chunk[4]!, 'hex'));
      if (link.toString('hex') !== chunk[5])
        return result(
          'corrupt',
          `${where}: the link of chunk ${index} is broken (the sidecar was edited).`,
        );
      chunkLines.push({ index, offset, length, digest: chunk[4]! });
      chained += length;
      continue;
    }
    const last = /^end (\d+) ([0-9a-f]{64}|-) ([0-9a-f]{64})$/.exec(line);
    if (last && Number(last[1]) === chained && last[3] === link.toString('hex')) {
      end = { bytes: chained, sha256: last[2]!, head: last[3]! };
      continue;
    }
    return result('corrupt', `${where}: not a chunk or end line of this chain.`);
  }
  const base = {
    closed: end !== undefined,
    chainedBytes: chained,
    chunks: chunkLines.length,
    head: chunkLines.length > 0 || end ? link.toString('hex') : undefined,
  };

  let fd: number;
  try {
    fd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return result('missing', `There is no log ${logPath}.`, base);
  }
  try {
    const logBytes = fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const whole = createHash('sha256');
    let verified = 0;
    for (const chunk of chunkLines) {
      const hash = createHash('sha256');
      let done = 0;
      while (done < chunk.length) {
        const read = readSync(
          fd,
          buffer,
          0,
          Math.min(buffer.length, chunk.length - done),
          chunk.offset + done,
        );
        if (read === 0) break;
        hash.update(buffer.subarray(0, read));
        whole.update(buffer.subarray(0, read));
        done += read;
      }
      const firstBadChunk = { index: chunk.index, offset: chunk.offset };
      if (done < chunk.length)
        return result(
          'truncated',
          `${logPath} is truncated: it ends at byte ${logBytes}, inside chunk ${chunk.index}, but the chain records ${chained} bytes.`,
          { ...base, logBytes, verifiedBytes: verified, firstBadChunk },
        );
      if (hash.digest('hex') !== chunk.digest)
        return result(
          'modified',
          `${logPath} was modified in chunk ${chunk.index} (bytes ${chunk.offset}–${chunk.offset + chunk.length - 1}).`,
          { ...base, logBytes, verifiedBytes: verified, firstBadChunk },
        );
      verified += chunk.length;
    }
    if (end) {
      if (end.sha256 !== '-' && whole.digest('hex') !== end.sha256)
        return result(
          'corrupt',
          `${sidecarPath}: the end line's SHA-256 does not match its chunks.`,
          {
            ...base,
            logBytes,
            verifiedBytes: verified,
          },
        );
      if (logBytes > chained)
        return result(
          'extended',
          `${logPath} holds ${logBytes - chained} bytes after the closed chain's ${chained}.`,
          {
            ...base,
            logBytes,
            verifiedBytes: verified,
          },
        );
      return result(
        'ok',
        `${logPath}: ${chained} bytes in ${chunkLines.length} chunks match the chain.`,
        {
          ...base,
          logBytes,
          verifiedBytes: verified,
        },
      );
    }
    return result(
      'partial',
      `${logPath}: the chain was not closed (a crash, or still writing); ${verified} bytes in ${chunkLines.length} chunks match, ${logBytes - verified} later bytes are unverified.`,
      { ...base, logBytes, verifiedBytes: verified },
    );
  } finally {
    closeSync(fd);
  }
}
