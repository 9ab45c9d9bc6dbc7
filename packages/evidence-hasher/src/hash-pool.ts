import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { EvidenceError } from './errors.js';
import {
  type FileIdentity,
  type HashOutcome,
  hashFileWith,
  hashFileWithRetries,
  hashWithRetriesSync,
  READ_BUFFER_BYTES,
} from './hash-file.js';

/** One file for {@link hashFiles}. */
export interface HashRequest {
  /** Absolute path. */
  path: string;
  /** Size the walk saw, in bytes (used to balance the workers and for progress). */
  sizeBytes: number;
  /** Device and inode the walk saw. */
  expected?: FileIdentity;
}

/** Progress of a hashing job, in bytes and files. */
export interface HashProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** Options for {@link hashFiles}. */
export interface HashFilesOptions {
  /**
   * Worker threads to hash with; `1` hashes on the calling thread.
   * @default `min(os.availableParallelism(), 4)`
   */
  concurrency?: number;
  /**
   * Re-reads of a file that changed while it was hashed, before it is marked `unstable`.
   * @default 2
   */
  retries?: number;
  /**
   * Below this many bytes in all, the files are hashed on the calling thread
   * (starting workers costs more than it saves).
   * @default 67108864 (64 MiB: two workers cost ~100 ms of CPU to start)
   */
  poolThresholdBytes?: number;
  /**
   * Called as bytes are hashed (at most every 8 MiB per worker, and after each batch).
   * @default none
   */
  onProgress?: (progress: HashProgress) => void;
}

/** Bytes a worker hashes between two progress messages. */
const PROGRESS_STEP_BYTES = 8 * 1024 * 1024;
/** A batch closes at this many bytes or {@link BATCH_MAX_FILES} files. */
const BATCH_MAX_BYTES = 8 * 1024 * 1024;
const BATCH_MAX_FILES = 256;

interface BatchMessage {
  batch: { index: number; path: string; expected?: FileIdentity }[];
  retries: number;
}
type WorkerReply =
  | { kind: 'progress'; bytes: number }
  | { kind: 'done'; results: { index: number; outcome: HashOutcome }[]; bytes: number };

/**
 * The worker's entry point, run from source text (so bundling the package
 * keeps it working). It gets the hashing function as an argument: a bundler
 * or test transform may rewrite references to imported names, never
 * parameters.
 */
function workerMain(hashOne: typeof hashFileWithRetries) {
  const { parentPort, workerData } = process.getBuiltinModule(
    'node:worker_threads',
  ) as typeof import('node:worker_threads');
  const modules = {
    fs: process.getBuiltinModule('node:fs') as typeof import('node:fs'),
    crypto: process.getBuiltinModule('node:crypto') as typeof import('node:crypto'),
  };
  const buffer = Buffer.allocUnsafe(workerData.bufferBytes as number);
  const step = workerData.progressStepBytes as number;
  parentPort!.on('message', (message: BatchMessage) => {
    const results: { index: number; outcome: HashOutcome }[] = [];
    let pending = 0;
    const onBytes = (bytes: number) => {
      pending += bytes;
      if (pending >= step) {
        parentPort!.postMessage({ kind: 'progress', bytes: pending });
        pending = 0;
      }
    };
    for (const item of message.batch) {
      const outcome = hashOne(
        modules,
        { path: item.path, expected: item.expected, retries: message.retries },
        buffer,
        onBytes,
      );
      results.push({ index: item.index, outcome });
    }
    parentPort!.postMessage({ kind: 'done', results, bytes: pending });
  });
}

let workerSource: string | undefined;
/** The worker's source: the two hashing functions and its entry point. */
function source(): string {
  workerSource ??= `${hashFileWith.toString()}\n(${workerMain.toString()})(${hashFileWithRetries.toString()});\n`;
  return workerSource;
}

/**
 * The default worker count: the cores there are (`os.availableParallelism()`), at most four.
 *
 * @returns A count of at least 1.
 */
export function defaultConcurrency(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

/**
 * Hashes files with SHA-256, on a `worker_threads` pool when there is enough
 * work (each worker streams with its own {@link READ_BUFFER_BYTES} buffer; the
 * largest files go first so the workers finish together), otherwise on the
 * calling thread. Results come back in the order of `files`, whatever order
 * the workers finished in.
 *
 * @param files The files to hash.
 * @param options Concurrency, retries and a progress callback.
 * @returns One {@link HashOutcome} per file, in the order given.
 * @throws {EvidenceError} `ERR_EVIDENCE_WORKER` when a worker thread fails.
 */
export async function hashFiles(
  files: HashRequest[],
  options: HashFilesOptions = {},
): Promise<HashOutcome[]> {
  const retries = options.retries ?? 2;
  const concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
  const bytesTotal = files.reduce((sum, file) => sum + file.sizeBytes, 0);
  const progress: HashProgress = {
    bytesDone: 0,
    bytesTotal,
    filesDone: 0,
    filesTotal: files.length,
  };
  const report = () => options.onProgress?.({ ...progress });
  const outcomes: HashOutcome[] = new Array(files.length);
  if (files.length === 0) return outcomes;

  if (concurrency === 1 || bytesTotal < (options.poolThresholdBytes ?? 64 * 1024 * 1024)) {
    let last = 0;
    for (const [index, file] of files.entries()) {
      outcomes[index] = hashWithRetriesSync(
        { path: file.path, expected: file.expected, retries },
        (bytes) => {
          progress.bytesDone += bytes;
        },
      );
      progress.filesDone++;
      if (progress.bytesDone - last >= PROGRESS_STEP_BYTES || index === files.length - 1) {
        last = progress.bytesDone;
        report();
      }
    }
    return outcomes;
  }

  // Largest first (LPT scheduling), in batches so small files do not cost a message each.
  const order = files
    .map((_, index) => index)
    .sort((a, b) => files[b]!.sizeBytes - files[a]!.sizeBytes);
  let next = 0;
  const takeBatch = (): BatchMessage['batch'] => {
    const batch: BatchMessage['batch'] = [];
    let bytes = 0;
    while (next < order.length && batch.length < BATCH_MAX_FILES && bytes < BATCH_MAX_BYTES) {
      const index = order[next++]!;
      const file = files[index]!;
      batch.push({ index, path: file.path, expected: file.expected });
      bytes += file.sizeBytes;
    }
    return batch;
  };

  const workerCount = Math.min(concurrency, files.length);
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let running = 0;
      const fail = (cause: unknown) =>
        reject(
          new EvidenceError(
            'ERR_EVIDENCE_WORKER',
            files[0]!.path,
            `A hashing worker failed: ${(cause as Error)?.message ?? String(cause)}`,
            { cause, hint: 'This is a bug in @runwarden/evidence-hasher; please report it.' },
          ),
        );
      const feed = (worker: Worker) => {
        const batch = takeBatch();
        if (batch.length === 0) {
          running--;
          if (running === 0) resolve();
          return;
        }
        worker.postMessage({ batch, retries } satisfies BatchMessage);
      };
      for (let i = 0; i < workerCount; i++) {
        const worker = new Worker(source(), {
          eval: true,
          workerData: { bufferBytes: READ_BUFFER_BYTES, progressStepBytes: PROGRESS_STEP_BYTES },
        });
        workers.push(worker);
        running++;
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (code !== 0) fail(new Error(`worker exited with code ${code}`));
        });
        worker.on('message', (reply: WorkerReply) => {
          progress.bytesDone += reply.bytes;
          if (reply.kind === 'done') {
            for (const result of reply.results) outcomes[result.index] = result.outcome;
            progress.filesDone += reply.results.length;
            report();
            feed(worker);
          } else report();
        });
        feed(worker);
      }
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return outcomes;
}
