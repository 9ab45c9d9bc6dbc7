import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { EvidenceError } from './errors.js';
import {
  type FileIdentity,
  type HashOutcome,
  hashFileSteps,
  hashRetrySteps,
  READ_BUFFER_BYTES,
} from './hash-file.js';

/** One file for {@link hashFiles}. */
export interface HashRequest {
  /** Absolute path. */
  path: string;
  /** Size the walk saw, in bytes (used to balance the threads and for progress). */
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
   * Threads that hash: the calling thread plus `concurrency - 1` worker threads.
   * @default `min(os.availableParallelism(), 4)`
   */
  concurrency?: number;
  /**
   * Re-reads of a file that changed while it was hashed, before it is marked `unstable`.
   * @default 2
   */
  retries?: number;
  /**
   * Below this many bytes in all, or for a single file, no worker is started
   * (a worker costs ~50 ms of CPU to start); the calling thread hashes alone.
   * @default 67108864 (64 MiB)
   */
  poolThresholdBytes?: number;
  /**
   * Called as bytes are hashed (about every 8 MiB per thread, and after each batch).
   * @default none
   */
  onProgress?: (progress: HashProgress) => void;
}

/** Bytes a thread hashes between two progress reports (and, on the calling thread, between two yields to the event loop). */
const STEP_BYTES = 8 * 1024 * 1024;
/** A batch closes at this many bytes or {@link BATCH_MAX_FILES} files. */
const BATCH_MAX_BYTES = 8 * 1024 * 1024;
const BATCH_MAX_FILES = 256;

type Batch = { index: number; path: string; expected?: FileIdentity }[];
interface BatchMessage {
  batch: Batch;
  retries: number;
}
type WorkerReply =
  | { kind: 'progress'; bytes: number }
  | { kind: 'done'; results: { index: number; outcome: HashOutcome }[]; bytes: number };

/**
 * The worker's entry point, run from source text (so bundling the package
 * keeps it working). It gets the hashing generator as an argument: a bundler
 * or test transform may rewrite references to imported names, never
 * parameters.
 */
function workerMain(steps: typeof hashRetrySteps) {
  const { parentPort, workerData } = process.getBuiltinModule(
    'node:worker_threads',
  ) as typeof import('node:worker_threads');
  const modules = {
    fs: process.getBuiltinModule('node:fs') as typeof import('node:fs'),
    crypto: process.getBuiltinModule('node:crypto') as typeof import('node:crypto'),
  };
  const buffer = Buffer.allocUnsafe(workerData.bufferBytes as number);
  const step = workerData.stepBytes as number;
  parentPort!.on('message', (message: BatchMessage) => {
    const results: { index: number; outcome: HashOutcome }[] = [];
    let pending = 0;
    for (const item of message.batch) {
      const run = steps(
        modules,
        { path: item.path, expected: item.expected, retries: message.retries },
        buffer,
      );
      for (;;) {
        const next = run.next();
        if (next.done) {
          results.push({ index: item.index, outcome: next.value });
          break;
        }
        pending += next.value;
        if (pending >= step) {
          parentPort!.postMessage({ kind: 'progress', bytes: pending });
          pending = 0;
        }
      }
    }
    parentPort!.postMessage({ kind: 'done', results, bytes: pending });
  });
}

let workerSource: string | undefined;
/** The worker's source: the two hashing generators and its entry point. */
function source(): string {
  workerSource ??= `${hashFileSteps.toString()}\n(${workerMain.toString()})(${hashRetrySteps.toString()});\n`;
  return workerSource;
}

/**
 * The default thread count: the cores there are (`os.availableParallelism()`), at most four.
 *
 * @returns A count of at least 1.
 */
export function defaultConcurrency(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

let mainBuffer: Buffer | undefined;

/**
 * Hashes files with SHA-256 on the calling thread and, when there is enough
 * work, on `worker_threads` too (each thread streams with its own
 * {@link READ_BUFFER_BYTES} buffer; the largest files go first, small files in
 * batches, so the threads finish together). The calling thread yields to its
 * event loop every 8 MiB, so timers and progress bars keep running. Results
 * come back in the order of `files`, whatever order the threads finished in.
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

  // Largest first (LPT scheduling), in batches so small files do not cost a message each.
  const order = files
    .map((_, index) => index)
    .sort((a, b) => files[b]!.sizeBytes - files[a]!.sizeBytes);
  let next = 0;
  const takeBatch = (): Batch => {
    const batch: Batch = [];
    let bytes = 0;
    while (next < order.length && batch.length < BATCH_MAX_FILES && bytes < BATCH_MAX_BYTES) {
      const index = order[next++]!;
      const file = files[index]!;
      batch.push({ index, path: file.path, expected: file.expected });
      bytes += file.sizeBytes;
    }
    return batch;
  };

  const enough = bytesTotal >= (options.poolThresholdBytes ?? 64 * 1024 * 1024);
  const workerCount = enough ? Math.min(concurrency - 1, files.length - 1) : 0;
  const workers: Worker[] = [];
  let failure: EvidenceError | undefined;

  /** The calling thread's share: batches until none are left, yielding every 8 MiB. */
  const hashHere = async () => {
    mainBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
    let sinceYield = 0;
    for (let batch = takeBatch(); batch.length > 0 && !failure; batch = takeBatch()) {
      for (const item of batch) {
        const run = hashRetrySteps(
          { fs, crypto },
          { path: item.path, expected: item.expected, retries },
          mainBuffer,
        );
        for (;;) {
          const step = run.next();
          if (step.done) {
            outcomes[item.index] = step.value;
            break;
          }
          progress.bytesDone += step.value;
          sinceYield += step.value;
          if (sinceYield >= STEP_BYTES) {
            sinceYield = 0;
            report();
            await yieldToEventLoop();
          }
        }
        progress.filesDone++;
      }
      report();
      // Let worker replies in between batches, too.
      await yieldToEventLoop();
    }
  };

  const workersDone = new Promise<void>((resolve, reject) => {
    if (workerCount === 0) {
      resolve();
      return;
    }
    let running = 0;
    const fail = (cause: unknown) => {
      failure ??= new EvidenceError(
        'ERR_EVIDENCE_WORKER',
        files[0]!.path,
        `A hashing worker failed: ${(cause as Error)?.message ?? String(cause)}`,
        { cause, hint: 'This is a bug in @runwarden/evidence-hasher; please report it.' },
      );
      reject(failure);
    };
    const feed = (worker: Worker) => {
      const batch = failure ? [] : takeBatch();
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
        workerData: { bufferBytes: READ_BUFFER_BYTES, stepBytes: STEP_BYTES },
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
      // Workers take batches as soon as they are up; the calling thread starts at once.
      worker.once('online', () => feed(worker));
    }
  });
  // Never leave the workers' promise unobserved while the calling thread hashes.
  workersDone.catch(() => undefined);
  try {
    await hashHere();
    await workersDone;
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return outcomes;
}
