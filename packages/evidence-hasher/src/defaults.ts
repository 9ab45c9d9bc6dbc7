/**
 * Every default of `@runwarden/evidence-hasher`, in one place: the code, the
 * CLI's help and the README read these (execa's `DEFAULT_FORCE_KILL_TIMEOUT`).
 */
export const EVIDENCE_DEFAULTS = {
  /** Hashing threads at most: the calling thread plus workers, `min(os.availableParallelism(), maxThreads)`. */
  maxThreads: 4,
  /** Re-reads of a file that changed while it was hashed, before it is `unstable`. */
  retries: 2,
  /** Below this many bytes in all (or for one file) no worker thread is started: 64 MiB. */
  poolThresholdBytes: 67_108_864,
  /** Bytes per chained chunk of a log chain: 1 MiB. */
  logChainChunkBytes: 1_048_576,
  /** Bytes per `read(2)` while hashing: 128 KiB (keeps pace with `openssl dgst -sha256`). */
  readBufferBytes: 131_072,
} as const;
