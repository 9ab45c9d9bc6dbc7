import { closeSync } from 'node:fs';
import { FollowedLog } from './followed-log.js';
import type { OutputStreamName } from './output-stream.js';
import type { LogRotationOptions } from './rotating-log.js';

/** Options for {@link FileOutput}. */
export interface FileOutputOptions {
  /** The run's `stdout.log`. */
  stdoutPath: string;
  /** The run's `stderr.log`. */
  stderrPath: string;
  /** Size cap, backups and chain, per stream. @default WATCHDOG_DEFAULTS.logs */
  rotation?: LogRotationOptions;
  /** Called with every chunk the child wrote, in order per stream. */
  onChunk: (chunk: Buffer, stream: OutputStreamName) => void;
}

/**
 * The child's stdout and stderr as the run's log files themselves
 * (`superviseRun({ output: 'file' })`): no pipe runs from the child into the
 * watchdog, so the child never depends on the watchdog staying alive (a pipe
 * whose reader died would end it with SIGPIPE), and a watchdog started again
 * can adopt it and read on. Both files are followed ({@link FollowedLog}) for
 * idle detection, the done marker, subscribers and pass-through.
 */
export class FileOutput {
  private readonly logs: Record<OutputStreamName, FollowedLog>;
  private childFds: number[] = [];

  /**
   * @param options - the two files, rotation, and where the chunks go.
   * @throws {WatchdogError} `ERR_UNSAFE_PATH` when a log is a symlink.
   */
  constructor(private readonly options: FileOutputOptions) {
    this.logs = {
      stdout: new FollowedLog(options.stdoutPath, 'stdout', options.rotation),
      stderr: new FollowedLog(options.stderrPath, 'stderr', options.rotation),
    };
  }

  /** The two log paths, for an adopted process's files that are these. */
  get paths(): string[] {
    return [this.options.stdoutPath, this.options.stderrPath];
  }

  /**
   * Opens one `O_APPEND` descriptor per stream for the next child.
   *
   * @returns `[stdout, stderr]` descriptors for `spawn`'s `stdio`.
   */
  openForChild(): [number, number] {
    this.releaseChildFds();
    const fds: [number, number] = [
      this.logs.stdout.openForChild(),
      this.logs.stderr.openForChild(),
    ];
    this.childFds = fds;
    return fds;
  }

  /** Closes this process's copies of the child's descriptors (call once the child is spawned). */
  releaseChildFds(): void {
    for (const fd of this.childFds) closeSync(fd);
    this.childFds = [];
  }

  /**
   * Hands over what the child wrote since the last poll, on both streams
   * (a stream whose file did not change is not even stat'ed).
   *
   * @returns bytes read.
   */
  poll(): number {
    return (
      this.logs.stdout.poll((chunk) => this.options.onChunk(chunk, 'stdout')) +
      this.logs.stderr.poll((chunk) => this.options.onChunk(chunk, 'stderr'))
    );
  }

  /**
   * Hands over everything written so far, change notice or not (an attempt's
   * end, before its output is judged).
   *
   * @returns bytes read.
   */
  drain(): number {
    return (
      this.logs.stdout.poll((chunk) => this.options.onChunk(chunk, 'stdout'), true) +
      this.logs.stderr.poll((chunk) => this.options.onChunk(chunk, 'stderr'), true)
    );
  }

  /** Rotations done so far, per stream. */
  get rotations(): Record<OutputStreamName, number> {
    return { stdout: this.logs.stdout.rotations, stderr: this.logs.stderr.rotations };
  }

  /** Reads what is left, then closes both files. */
  close(): void {
    this.drain();
    this.releaseChildFds();
    this.logs.stdout.close();
    this.logs.stderr.close();
  }
}
