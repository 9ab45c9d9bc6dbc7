import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { readRegularFile } from '@runwarden/safe-fs';

/** The largest heartbeat file read for a checkpoint, in bytes. */
export const MAX_CHECKPOINT_BYTES = 65_536;

/**
 * A checkpoint an agent leaves in its heartbeat file (JSON object), handed to
 * the resume command as `RUNWARDEN_CHECKPOINT`. Any fields are kept; these are
 * the ones the issue names.
 */
export interface Checkpoint {
  /** The agent's session, to continue it (`opencode run --session <id>`). */
  sessionId?: string;
  /** The last task it worked on. */
  lastTask?: string;
  /** The git HEAD it had reached. */
  head?: string;
  [field: string]: unknown;
}

/** Options for {@link ProgressWatcher}. */
export interface ProgressWatcherOptions {
  /** Files or directories whose change is progress (a file: size, mtime or inode; a directory: its entries). */
  watchPaths?: string[];
  /** A file the agent touches or rewrites as it works; its JSON content, when it is an object, is the checkpoint. */
  heartbeatFile?: string;
  /** Resolves relative paths. @default process.cwd() */
  cwd?: string;
}

function signatureOf(path: string): string {
  try {
    const stat = statSync(path, { bigint: true });
    return `${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
  } catch {
    return 'missing';
  }
}

/**
 * Polls progress sources by `stat(2)` and tells which moved since the last
 * poll. Polling (not inotify) keeps it exact on every filesystem, NFS
 * included, for a few syscalls a second.
 */
export class ProgressWatcher {
  /** Absolute paths watched, heartbeat file included. */
  readonly sources: string[];
  private readonly heartbeat: string | undefined;
  private readonly signatures = new Map<string, string>();
  private checkpoint: Checkpoint | undefined;

  /** @param options - the sources. The current state of each is the baseline. */
  constructor(options: ProgressWatcherOptions) {
    const cwd = options.cwd ?? process.cwd();
    this.heartbeat =
      options.heartbeatFile !== undefined ? resolve(cwd, options.heartbeatFile) : undefined;
    this.sources = [
      ...new Set([
        ...(options.watchPaths ?? []).map((path) => resolve(cwd, path)),
        ...(this.heartbeat ? [this.heartbeat] : []),
      ]),
    ];
    for (const source of this.sources) this.signatures.set(source, signatureOf(source));
    if (this.heartbeat) this.checkpoint = readCheckpoint(this.heartbeat);
  }

  /** True when at least one source is watched. */
  get active(): boolean {
    return this.sources.length > 0;
  }

  /**
   * Stats every source once.
   *
   * @returns the sources that changed since the previous poll (a file that appears or goes counts).
   */
  poll(): string[] {
    const moved: string[] = [];
    for (const source of this.sources) {
      const signature = signatureOf(source);
      if (signature !== this.signatures.get(source)) {
        this.signatures.set(source, signature);
        moved.push(source);
        if (source === this.heartbeat) this.checkpoint = readCheckpoint(source) ?? this.checkpoint;
      }
    }
    return moved;
  }

  /**
   * The last valid checkpoint read from the heartbeat file.
   *
   * @returns the JSON object, or `undefined` when the file never held one.
   */
  lastCheckpoint(): Checkpoint | undefined {
    return this.checkpoint;
  }
}

/**
 * Reads a checkpoint: the file's content when it is a regular file holding a
 * JSON object of at most {@link MAX_CHECKPOINT_BYTES}. A FIFO, socket or
 * device there is no checkpoint (it is refused at once, never opened blocking).
 *
 * @param path - the heartbeat file.
 * @returns the object, or `undefined` (missing, too large, not JSON, not an object).
 */
export function readCheckpoint(path: string): Checkpoint | undefined {
  try {
    // Never a blocking open (a FIFO there is refused at once, so the event loop and the
    // mission timeout go on), never more than the bound.
    const file = readRegularFile(path, { follow: true, maxBytes: MAX_CHECKPOINT_BYTES });
    if (!file || file.bytes.length === 0) return undefined;
    const value: unknown = JSON.parse(file.bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Checkpoint)
      : undefined;
  } catch {
    return undefined;
  }
}
