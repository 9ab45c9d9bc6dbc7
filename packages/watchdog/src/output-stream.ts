/** The child's output as the watchdog hands it on: which stream, which attempt, and who hears it. */

/** Which output stream a chunk came from. */
export type OutputStreamName = 'stdout' | 'stderr';

/** Where a chunk came from, for {@link OutputSubscriber}s. */
export interface ChunkInfo {
  stream: OutputStreamName;
  /** The attempt (1-based) that printed it. */
  attempt: number;
}

/**
 * Receives every chunk of the child's output, in order, after it is in the
 * log (e.g. a chunk-chain hasher, a live viewer). It must not keep `chunk`
 * beyond the call without copying it; what it throws is ignored.
 */
export type OutputSubscriber = (chunk: Buffer, info: ChunkInfo) => void;
