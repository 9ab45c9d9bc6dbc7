import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { readRegularFile } from '@runwarden/safe-fs';
import { READ_BUFFER_BYTES } from './hash-file.js';

import {
  genesis,
  LOG_CHAIN_SUFFIX,
  type LogChainOptions,
  MAX_LOG_CHAIN_BYTES,
  nextLink,
} from './log-chain-format.js';
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
