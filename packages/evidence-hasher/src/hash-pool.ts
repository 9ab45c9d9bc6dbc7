import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { EVIDENCE_DEFAULTS } from './defaults.js';
import { EvidenceError } from './errors.js';
import {
  type FileIdentity,
  type HashOutcome,
  hashFileSteps,
  hashRetrySteps,
  type RawOutcome,
  READ_BUFFER_BYTES,
  toHashOutcome,
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
   * @default `min(os.availableParallelism(), EVIDENCE_DEFAULTS.maxThreads)` (at most 4)
   */
  concurrency?: number;
  /**
   * Re-reads of a file that changed while it was hashed, before it is marked `unstable`.
   * @default EVIDENCE_DEFAULTS.retries (2)
   */
  retries?: number;
  /**
   * Below this many bytes in all, or for a single file, no worker is started
   * (a worker costs ~50 ms of CPU to start); the calling thread hashes alone.
   * @default EVIDENCE_DEFAULTS.poolThresholdBytes (64 MiB)
   */
  poolThresholdBytes?: number;
  /**
   * Called as bytes are hashed: every 8 MiB the calling thread hashes, every
   * 100 ms while it waits for the workers, and once at the end.
   * @default none
   */
  onProgress?: (progress: HashProgress) => void;
}

/** The default of {@link HashFilesOptions.poolThresholdBytes}: 64 MiB (`EVIDENCE_DEFAULTS.poolThresholdBytes`). */
export const POOL_THRESHOLD_BYTES: number = EVIDENCE_DEFAULTS.poolThresholdBytes;

/** Bytes the calling thread hashes between two yields to its event loop (and two progress reports). */
const STEP_BYTES = 8 * 1024 * 1024;
/** How often progress is reported while the calling thread waits for the workers, in ms. */
const WAIT_REPORT_MS = 100;

/** Per-file states in {@link SharedJob.status} (written as literals in {@link hashShare}, which runs from source). */
const PENDING = 0;
const HASHED = 1;
const UNREADABLE = 2;
const UNSTABLE = 3;

/**
 * A hashing job in memory every thread shares: the threads take files from
 * one counter (`Atomics.add`, largest first), so none waits for another to
 * hand it work, and write each result where the calling thread reads it; a
 * worker posts one message, when it is done.
 */
interface SharedJob {
  paths: string[];
  expected: (FileIdentity | undefined)[];
  retries: number;
  /** File indices, largest first. */
  order: Int32Array;
  /** `[next position in order, files done]`. */
  counters: Int32Array;
  /** Bytes hashed so far, one slot per thread (each thread writes its own). */
  bytes: Float64Array;
  /** Per file: bytes read on the last attempt. */
  sizes: Float64Array;
  /** Per file: PENDING, HASHED, UNREADABLE or UNSTABLE. */
  status: Int32Array;
  /** Per file: the SHA-256, 32 bytes. */
  digests: Uint8Array;
}

/** A worker's only message: the `errno` codes of its unreadable and unstable files. */
interface WorkerDone {
  errors: [index: number, code: string][];
}

/**
 * Takes files from the shared counter and hashes them until none are left:
 * the loop of every thread (self-contained, so its source runs in the
 * workers). The calling thread passes `pause`, which lets its event loop run
 * every `STEP_BYTES`; workers pass none.
 */
async function hashShare(
  job: SharedJob,
  slot: number,
  run: (request: {
    path: string;
    expected?: FileIdentity;
    retries: number;
  }) => Generator<number, RawOutcome, undefined>,
  pause?: { everyBytes: number; wait: () => Promise<unknown>; stop: () => boolean },
): Promise<[number, string][]> {
  const errors: [number, string][] = [];
  let sincePause = 0;
  for (;;) {
    if (pause?.stop()) break;
    const position = Atomics.add(job.counters, 0, 1);
    if (position >= job.order.length) break;
    const index = job.order[position]!;
    const steps = run({
      path: job.paths[index]!,
      expected: job.expected[index],
      retries: job.retries,
    });
    let outcome: RawOutcome;
    for (;;) {
      const step = steps.next();
      if (step.done) {
        outcome = step.value;
        break;
      }
      job.bytes[slot]! += step.value;
      sincePause += step.value;
      if (pause && sincePause >= pause.everyBytes) {
        sincePause = 0;
        await pause.wait();
      }
    }
    job.sizes[index] = outcome.sizeBytes;
    if (outcome.digest) job.digests.set(outcome.digest, index * 32);
    if (outcome.errorCode !== undefined) errors.push([index, outcome.errorCode]);
    Atomics.store(
      job.status,
      index,
      outcome.status === 'unreadable' ? 2 : outcome.status === 'unstable' ? 3 : 1,
    );
    Atomics.add(job.counters, 1, 1);
  }
  return errors;
}

/**
 * The worker's entry point, run from source text (so bundling the package
 * keeps it working). It gets the hashing generators and the loop as
 * arguments: a bundler or test transform may rewrite references to imported
 * names, never parameters.
 */
function workerMain(steps: typeof hashRetrySteps, share: typeof hashShare) {
  const { parentPort, workerData } = process.getBuiltinModule(
    'node:worker_threads',
  ) as typeof import('node:worker_threads');
  const modules = {
    fs: process.getBuiltinModule('node:fs') as typeof import('node:fs'),
    crypto: process.getBuiltinModule('node:crypto') as typeof import('node:crypto'),
  };
  const buffer = Buffer.allocUnsafe((workerData as { bufferBytes: number }).bufferBytes);
  parentPort!.once('message', async (message: { job: SharedJob; slot: number }) => {
    const errors = await share(message.job, message.slot, (request) =>
      steps(modules, request, buffer),
    );
    parentPort!.postMessage({ errors } satisfies WorkerDone);
  });
}

let workerSource: string | undefined;
/** The worker's source: the hashing generators, the loop and its entry point. */
function source(): string {
  workerSource ??= `${hashFileSteps.toString()}\n(${workerMain.toString()})(${hashRetrySteps.toString()}, ${hashShare.toString()});\n`;
  return workerSource;
}

/**
 * The default thread count: the cores there are (`os.availableParallelism()`), at most four.
 *
 * @returns A count of at least 1.
 */
export function defaultConcurrency(): number {
  return Math.max(1, Math.min(availableParallelism(), EVIDENCE_DEFAULTS.maxThreads));
}

/**
 * Worker threads for one hashing job, started as soon as it is known that
 * there will be enough to hash (the walk calls {@link HashPool.warm} once it
 * has seen `poolThresholdBytes`), so that their start-up overlaps the rest of
 * the walk.
 *
 * @internal
 */
export interface HashPool {
  /** Starts up to `concurrency - 1` workers now (at most `limit`), if they are not running. */
  warm(limit?: number): void;
  /** Hashes the files on the calling thread and the workers, then ends the workers; see {@link hashFiles}. */
  hash(files: HashRequest[]): Promise<HashOutcome[]>;
  /** Ends the workers without hashing (when the walk failed). */
  close(): Promise<void>;
}

let mainBuffer: Buffer | undefined;

/**
 * A {@link HashPool} for one job.
 *
 * @param options Concurrency, retries, threshold and a progress callback.
 * @returns The pool; {@link HashPool.hash} ends its workers.
 * @internal
 */
export function createHashPool(options: HashFilesOptions = {}): HashPool {
  const concurrency = Math.max(1, options.concurrency ?? defaultConcurrency());
  const workers: Worker[] = [];
  const warm = (limit = Number.POSITIVE_INFINITY) => {
    while (workers.length < Math.min(concurrency - 1, limit))
      workers.push(
        new Worker(source(), { eval: true, workerData: { bufferBytes: READ_BUFFER_BYTES } }),
      );
  };
  const close = async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
  };
  return {
    warm,
    close,
    hash: async (files) => {
      try {
        const bytesTotal = files.reduce((sum, file) => sum + file.sizeBytes, 0);
        const enough =
          files.length > 1 && bytesTotal >= (options.poolThresholdBytes ?? POOL_THRESHOLD_BYTES);
        if (enough) warm(files.length - 1);
        return await hashShared(files, workers, bytesTotal, options);
      } finally {
        await close();
      }
    },
  };
}

/** Builds the shared job, runs the calling thread's share and waits for the workers. */
async function hashShared(
  files: HashRequest[],
  workers: Worker[],
  bytesTotal: number,
  options: HashFilesOptions,
): Promise<HashOutcome[]> {
  const count = files.length;
  const threads = workers.length + 1;
  const shared = (bytes: number) => new SharedArrayBuffer(bytes);
  // Largest first (LPT scheduling): the threads finish together.
  const order = Int32Array.from(files.keys()).sort(
    (a, b) => files[b]!.sizeBytes - files[a]!.sizeBytes,
  );
  const job: SharedJob = {
    paths: files.map((file) => file.path),
    expected: files.map((file) => file.expected),
    retries: options.retries ?? EVIDENCE_DEFAULTS.retries,
    order: new Int32Array(shared(4 * count)),
    counters: new Int32Array(shared(8)),
    bytes: new Float64Array(shared(8 * threads)),
    sizes: new Float64Array(shared(8 * count)),
    status: new Int32Array(shared(4 * count)),
    digests: new Uint8Array(shared(32 * count)),
  };
  job.order.set(order);
  const progress = (): HashProgress => ({
    bytesDone: job.bytes.reduce((sum, bytes) => sum + bytes, 0),
    bytesTotal,
    filesDone: Atomics.load(job.counters, 1),
    filesTotal: count,
  });
  const report = () => options.onProgress?.(progress());
  const errors = new Map<number, string>();
  let failure: EvidenceError | undefined;
  const workersDone = workers.map(
    (worker, index) =>
      new Promise<void>((resolve, reject) => {
        const fail = (cause: unknown) => {
          failure ??= new EvidenceError({
            code: 'ERR_EVIDENCE_WORKER',
            path: files[0]!.path,
            message: `A hashing worker failed: ${(cause as Error)?.message ?? String(cause)}`,
            cause,
            hint: 'This is a bug in @runwarden/evidence-hasher; please report it.',
          });
          reject(failure);
        };
        let finished = false;
        worker.once('error', fail);
        // A worker ends on its own once it has posted its message.
        worker.once('exit', (code) => {
          if (!finished) fail(new Error(`worker exited with code ${code} before it was done`));
        });
        worker.once('message', (done: WorkerDone) => {
          finished = true;
          for (const [fileIndex, code] of done.errors) errors.set(fileIndex, code);
          resolve();
        });
        worker.postMessage({ job, slot: index + 1 });
      }),
  );
  const allWorkers = Promise.all(workersDone);
  // Never leave the workers' promise unobserved while the calling thread hashes.
  allWorkers.catch(() => undefined);
  mainBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const buffer = mainBuffer;
  const mine = await hashShare(
    job,
    0,
    (request) => hashRetrySteps({ fs, crypto }, request, buffer),
    {
      everyBytes: STEP_BYTES,
      wait: () => {
        report();
        return yieldToEventLoop();
      },
      stop: () => failure !== undefined,
    },
  );
  for (const [fileIndex, code] of mine) errors.set(fileIndex, code);
  if (workers.length > 0) {
    const timer = setInterval(report, WAIT_REPORT_MS);
    try {
      await allWorkers;
    } finally {
      clearInterval(timer);
    }
  }
  if (failure) throw failure;
  report();
  const outcomes: HashOutcome[] = new Array(count);
  for (let index = 0; index < count; index++) {
    const state = job.status[index];
    const raw: RawOutcome = { sizeBytes: job.sizes[index]! };
    if (state === HASHED) raw.digest = Buffer.from(job.digests.buffer, index * 32, 32);
    else if (state === UNREADABLE) raw.status = 'unreadable';
    else if (state === UNSTABLE) raw.status = 'unstable';
    else if (state === PENDING) throw new Error(`file ${index} was never hashed`);
    const code = errors.get(index);
    if (code !== undefined) raw.errorCode = code;
    outcomes[index] = toHashOutcome(raw);
  }
  return outcomes;
}

/**
 * Hashes files with SHA-256 on the calling thread and, when there is enough
 * work, on `worker_threads` too. Each thread streams with its own
 * {@link READ_BUFFER_BYTES} buffer and takes the next file (largest first)
 * from a counter in shared memory, so the threads finish together and none
 * waits for another to hand it work; results are written to shared memory
 * too, so a worker posts a single message. The calling thread yields to its
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
  if (files.length === 0) return [];
  return createHashPool(options).hash(files);
}
