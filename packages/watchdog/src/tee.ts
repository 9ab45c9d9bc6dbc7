import type { Readable, Writable } from 'node:stream';
import type { ChunkInfo, OutputStreamName, OutputSubscriber } from './output-stream.js';
import { type LogRotationOptions, RotatingLog } from './rotating-log.js';
import { TailBuffer } from './tail-buffer.js';
import { collectYoungGarbage } from './young-gc.js';

/** Options for {@link OutputTee}. */
export interface OutputTeeOptions {
  /** `stdout.log` path. */
  stdoutPath: string;
  /** `stderr.log` path. */
  stderrPath: string;
  /** Size cap and rotation, per stream. */
  rotation?: LogRotationOptions;
  /** Called with every chunk after it is logged. @default [] */
  subscribers?: OutputSubscriber[];
  /**
   * Pass stdout through here too (e.g. `process.stdout`); backpressure pauses
   * the child's pipe. A write that fails (EPIPE: the reader went away, as with
   * `| head -1`; EIO: the terminal hung up) never throws and never stops the
   * supervision: the stream is dropped from then on, the logs keep everything.
   */
  stdout?: Writable;
  /** Pass stderr through here too (same rules as `stdout`). */
  stderr?: Writable;
  /** Called once per pass-through stream when it fails and is dropped (the error is kept as it came). */
  onPassThroughError?: (stream: OutputStreamName, error: Error) => void;
  /**
   * A line that marks completion (`## DONE`): seen when a line of output,
   * trimmed, equals it exactly (a line that merely contains it, such as an
   * echoed prompt, does not count).
   */
  doneMarker?: string;
  /** Called on every chunk, before it is written (liveness). */
  onOutput?: (info: ChunkInfo) => void;
  /** Called once when the done marker is first seen. */
  onMarker?: () => void;
  /**
   * Ask V8 for a minor GC after this many bytes of output, so the pipe's
   * 64 KiB chunks are freed as they go: V8 otherwise lets about 30 MB of them
   * pile up as external memory before it collects (measured: 99 MB peak RSS
   * for 50 MB of output without, 70 MB with). `0` turns it off.
   * @default 4194304 (4 MiB)
   */
  releaseEveryBytes?: number;
  /**
   * Write each chunk to the rotating logs. `false` when the child writes the
   * log files itself (`output: 'file'`, see {@link FileOutput}) and the tee
   * only observes what was written.
   * @default true
   */
  writeLogs?: boolean;
}

const MAX_PARTIAL_LINE = 4096;

/**
 * The one place where the child's output goes: each chunk is written to its
 * rotating log, handed to every subscriber, passed through, remembered in a
 * tail buffer (the hand-off's last lines, the quota check), and scanned for
 * the done marker. The hot path never decodes text unless the marker bytes
 * occur in the chunk.
 */
export class OutputTee {
  /** The run's last output across attempts (hand-off lines); marked at each attempt's start (quota detection). */
  readonly runTail = new TailBuffer();
  private readonly logs: Record<OutputStreamName, RotatingLog> | undefined;
  private readonly subscribers: OutputSubscriber[];
  private readonly marker: Buffer | undefined;
  private readonly partial: Record<OutputStreamName, Buffer> = {
    stdout: Buffer.alloc(0),
    stderr: Buffer.alloc(0),
  };
  private closed = false;
  /** True once the done marker was seen in this run. */
  markerSeen = false;
  /** Bytes received per stream. */
  readonly bytes: Record<OutputStreamName, number> = { stdout: 0, stderr: 0 };
  private sinceRelease = 0;
  private readonly dropped = new Set<OutputStreamName>();
  private readonly errorListeners: (() => void)[] = [];
  private readonly waitingForDrain: Record<OutputStreamName, Set<Readable>> = {
    stdout: new Set(),
    stderr: new Set(),
  };

  /** @param options - logs, subscribers, pass-through and the marker. */
  constructor(private readonly options: OutputTeeOptions) {
    this.logs =
      options.writeLogs === false
        ? undefined
        : {
            stdout: new RotatingLog(options.stdoutPath, options.rotation),
            stderr: new RotatingLog(options.stderrPath, options.rotation),
          };
    this.subscribers = [...(options.subscribers ?? [])];
    this.marker =
      options.doneMarker !== undefined ? Buffer.from(options.doneMarker.trim()) : undefined;
    this.guardPassThrough();
  }

  /**
   * Adds a subscriber for the chunks from now on.
   *
   * @param subscriber - called with every later chunk.
   * @returns a function that removes it.
   */
  subscribe(subscriber: OutputSubscriber): () => void {
    this.subscribers.push(subscriber);
    return () => {
      const index = this.subscribers.indexOf(subscriber);
      if (index >= 0) this.subscribers.splice(index, 1);
    };
  }

  /**
   * Feeds a child's pipe into the tee until it ends.
   *
   * @param source - the child's stdout or stderr.
   * @param stream - which one it is.
   * @param attempt - the attempt it belongs to.
   */
  attach(source: Readable, stream: OutputStreamName, attempt: number): void {
    source.on('data', (chunk: Buffer) => {
      this.write(chunk, { stream, attempt });
      const passThrough = this.passThrough(stream);
      if (!passThrough) return;
      let full = false;
      try {
        full = !passThrough.write(chunk);
      } catch (error) {
        this.dropPassThrough(stream, error as Error);
        return;
      }
      if (full && this.passThrough(stream)) {
        source.pause();
        this.waitingForDrain[stream].add(source);
        passThrough.once('drain', () => {
          this.waitingForDrain[stream].delete(source);
          source.resume();
        });
      }
    });
  }

  /** The pass-through stream of `stream`, unless it failed (then `undefined`). */
  private passThrough(stream: OutputStreamName): Writable | undefined {
    if (this.dropped.has(stream)) return undefined;
    const target = stream === 'stdout' ? this.options.stdout : this.options.stderr;
    return target?.destroyed || target?.writableEnded ? undefined : target;
  }

  /** Listens for 'error' on each pass-through stream (unheard, an EPIPE would be thrown from the event loop). */
  private guardPassThrough(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const target = stream === 'stdout' ? this.options.stdout : this.options.stderr;
      if (!target) continue;
      const listener = (error: Error) => this.dropPassThrough(stream, error);
      target.on('error', listener);
      this.errorListeners.push(() => target.off('error', listener));
    }
  }

  /** Stops echoing `stream` (its reader or terminal is gone); pipes paused for its drain go on. */
  private dropPassThrough(stream: OutputStreamName, error: Error): void {
    if (this.dropped.has(stream)) return;
    this.dropped.add(stream);
    for (const source of this.waitingForDrain[stream]) source.resume();
    this.waitingForDrain[stream].clear();
    try {
      this.options.onPassThroughError?.(stream, error);
    } catch {
      // A listener's bug must not stop the logs or the supervision.
    }
  }

  /**
   * Takes one chunk: liveness callback, log, subscribers, tails, marker.
   *
   * @param chunk - the bytes, as read from the pipe.
   * @param info - its stream and attempt.
   */
  write(chunk: Buffer, info: ChunkInfo): void {
    if (this.closed) return;
    this.options.onOutput?.(info);
    this.bytes[info.stream] += chunk.length;
    this.logs?.[info.stream].write(chunk);
    for (const subscriber of this.subscribers) {
      try {
        subscriber(chunk, info);
      } catch {
        // A subscriber's bug must not stop the logs or the supervision.
      }
    }
    this.runTail.push(chunk);
    if (this.marker && !this.markerSeen) this.scanForMarker(chunk, info.stream);
    const releaseEvery = this.options.releaseEveryBytes ?? 4 * 1024 * 1024;
    this.sinceRelease += chunk.length;
    if (releaseEvery > 0 && this.sinceRelease >= releaseEvery) {
      this.sinceRelease = 0;
      collectYoungGarbage();
    }
  }

  private scanForMarker(chunk: Buffer, stream: OutputStreamName): void {
    const marker = this.marker!;
    const data =
      this.partial[stream].length > 0 ? Buffer.concat([this.partial[stream], chunk]) : chunk;
    const lastNewline = data.lastIndexOf(10);
    if (data.indexOf(marker) >= 0 && lastNewline >= 0) {
      for (const line of data.subarray(0, lastNewline).toString('utf8').split('\n')) {
        if (line.trim() === this.options.doneMarker!.trim()) {
          this.markerSeen = true;
          this.options.onMarker?.();
          break;
        }
      }
    }
    const rest = lastNewline >= 0 ? data.subarray(lastNewline + 1) : data;
    this.partial[stream] = Buffer.from(rest.subarray(-MAX_PARTIAL_LINE));
  }

  /** Called when an attempt begins: its own tail (for the quota check) starts empty. */
  startAttempt(): void {
    this.runTail.mark();
  }

  /**
   * The current attempt's last lines (its own output only, within the tail buffer).
   *
   * @param count - at most this many lines.
   * @returns lines, oldest first.
   */
  attemptLines(count: number): string[] {
    return this.runTail.linesSinceMark(count);
  }

  /**
   * Called when an attempt's pipes are closed: a last line without `\n` is
   * checked for the marker, and the partial lines are dropped.
   */
  endAttempt(): void {
    if (this.marker && !this.markerSeen) {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (this.partial[stream].toString('utf8').trim() === this.options.doneMarker!.trim()) {
          this.markerSeen = true;
          this.options.onMarker?.();
        }
      }
    }
    this.partial.stdout = Buffer.alloc(0);
    this.partial.stderr = Buffer.alloc(0);
  }

  /** Rotations done so far, per stream. */
  get rotations(): Record<OutputStreamName, number> {
    return { stdout: this.logs?.stdout.rotations ?? 0, stderr: this.logs?.stderr.rotations ?? 0 };
  }

  /** Closes both logs; chunks that still arrive are dropped. */
  close(): void {
    this.closed = true;
    for (const remove of this.errorListeners.splice(0)) remove();
    this.logs?.stdout.close();
    this.logs?.stderr.close();
  }
}
