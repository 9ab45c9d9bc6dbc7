import { createHash } from 'node:crypto';
import { EVIDENCE_DEFAULTS } from './defaults.js';

/** Bytes per chained chunk: 1 MiB (`EVIDENCE_DEFAULTS.logChainChunkBytes`). */
export const LOG_CHAIN_CHUNK_BYTES: number = EVIDENCE_DEFAULTS.logChainChunkBytes;

/** The sidecar's suffix: `stdout.log` → `stdout.log.sha256chain`. */
export const LOG_CHAIN_SUFFIX = '.sha256chain';

/**
 * The most bytes read from a log chain sidecar: about 100 bytes a chunk of
 * {@link LOG_CHAIN_CHUNK_BYTES}, so 64 MiB covers a 640 GiB log.
 */
export const MAX_LOG_CHAIN_BYTES = 64 * 1024 * 1024;

/** The first word of a sidecar's header line. */
export const MAGIC = 'runwarden-log-chain';

/** Options for `createLogChain` and `verifyLogChain`. */
export interface LogChainOptions {
  /**
   * The sidecar file.
   * @default `<logPath>.sha256chain`
   */
  sidecarPath?: string;
  /**
   * Bytes per chunk (recorded in the sidecar's header; verify reads it from there).
   * @default EVIDENCE_DEFAULTS.logChainChunkBytes (1048576, 1 MiB)
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
   * Only for `createLogChain`.
   * @default true
   */
  wholeFileDigest?: boolean;
}

/** The predecessor of the first link: SHA-256 of the header line. */
export const genesis = (header: string) => createHash('sha256').update(header).digest();
/** The next link: SHA-256(previous link ‖ chunk digest). */
export const nextLink = (previous: Buffer, chunkDigest: Buffer) =>
  createHash('sha256').update(previous).update(chunkDigest).digest();
/** The sidecar's header line for a chunk size: `runwarden-log-chain 1 sha256 <chunkBytes>`. */
export const headerLine = (chunkBytes: number) => `${MAGIC} 1 sha256 ${chunkBytes}`;
