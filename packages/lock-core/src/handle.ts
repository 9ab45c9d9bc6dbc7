import { closeSync, lstatSync, writeSync } from 'node:fs';
import { type CompromiseReason, LockCompromisedError } from './errors.js';
import { failpoint } from './failpoint.js';
import { describeHolder } from './held-error.js';
import type { LockContent } from './judge.js';
import { readLockFile } from './lock-file.js';
import { type CreatedFile, moveAside, putBack, removeQuietly } from './lock-io.js';
import type { ResolvedLockOptions } from './options.js';
import { serialize } from './record.js';
import type { LockRecord } from './schema.js';

/** What {@link LockHandle.release} did. */
export interface ReleaseResult {
  /** True when this call removed the lock file. */
  released: boolean;
  /** `released`, or why nothing was removed: `already-released`, `missing`, `not-ours`. */
  reason: 'released' | 'already-released' | 'missing' | 'not-ours';
}

/** Why a lock was taken over, and what the stale lock held. */
export interface Takeover {
  /** The judgement's reason (`holder-dead`, `boot-changed`, …). */
  reason: string;
  /** What the stale lock held. */
  previous: LockContent;
}

/** A held lock. */
export interface LockHandle {
  /** Absolute path of the lock file. */
  readonly path: string;
  /** One higher than any token issued before for this path; pass it with every write the lock guards. */
  readonly fencingToken: number;
  /** This acquisition's nonce. */
  readonly nonce: string;
  /** The body as last written. */
  readonly record: LockRecord;
  /** Aborted with a {@link LockCompromisedError} when the lock is lost; stop writing then. */
  readonly signal: AbortSignal;
  /** When the lock was taken over from a stale holder: why, and what it held. */
  readonly takeover: Takeover | undefined;
  /**
   * Writes a fresh `heartbeatAt` now (in place, into this holder's own file).
   * @throws {LockCompromisedError} when the lock is no longer ours or the heartbeat came too late.
   */
  refresh(): Promise<void>;
  /** Removes the lock file when it is still ours; a second call is a no-op that says so. */
  release(): Promise<ReleaseResult>;
}

/** The one implementation of {@link LockHandle}: it keeps the lock file open, its proof of which inode is its lock. */
export class Handle implements LockHandle {
  readonly path: string;
  fencingToken: number;
  readonly nonce: string;
  record: LockRecord;
  readonly takeover: Takeover | undefined;
  private readonly controller = new AbortController();
  private readonly fd: number;
  private readonly ino: number;
  private readonly dev: number;
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private closed = false;
  private lastBeat: number;

  constructor(
    private readonly resolved: ResolvedLockOptions,
    record: LockRecord,
    file: CreatedFile,
    takeover: Takeover | undefined,
  ) {
    this.path = resolved.path;
    this.record = record;
    this.nonce = record.nonce;
    this.fencingToken = record.fencingToken;
    this.takeover = takeover;
    this.fd = file.fd;
    this.ino = file.ino;
    this.dev = file.dev;
    this.lastBeat = resolved.monotonic();
  }

  /** Starts the heartbeat (every `heartbeatMs`, unref'd); call once the fence is written. */
  start(): void {
    this.lastBeat = this.resolved.monotonic();
    if (this.resolved.heartbeatMs > 0) {
      this.timer = setInterval(() => this.beat(), this.resolved.heartbeatMs);
      this.timer.unref();
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private compromise(reason: CompromiseReason, message: string, cause?: unknown): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.controller.signal.aborted) {
      this.controller.abort(
        new LockCompromisedError({
          path: this.path,
          message,
          reason,
          cause,
          hint: 'Stop writing what the lock guards; release the handle.',
        }),
      );
    }
  }

  /** Is the lock path still our inode? */
  private stillOurs(): 'ours' | 'removed' | 'replaced' {
    try {
      const stat = lstatSync(this.path);
      return stat.ino === this.ino && stat.dev === this.dev ? 'ours' : 'replaced';
    } catch {
      return 'removed';
    }
  }

  private beat(): void {
    try {
      this.writeHeartbeat();
    } catch {
      // compromise() has aborted the signal
    }
  }

  private writeHeartbeat(): void {
    if (this.released) return;
    if (this.signal.aborted) throw this.signal.reason;
    const where = this.stillOurs();
    if (where !== 'ours') {
      let by = '';
      if (where === 'replaced') {
        try {
          const current = readLockFile(this.path);
          if (current) by = ` by ${describeHolder(current.content)}`;
        } catch {
          // unreadable: say replaced
        }
      }
      this.compromise(
        where,
        where === 'removed'
          ? `Lock ${this.path} was removed.`
          : `Lock ${this.path} was replaced${by}.`,
      );
      throw this.signal.reason;
    }
    const elapsed = this.resolved.monotonic() - this.lastBeat;
    if (
      this.resolved.heartbeatMs > 0 &&
      (this.resolved.options.abortOnLateHeartbeat ?? true) &&
      elapsed > this.resolved.staleAfterMs
    ) {
      this.compromise(
        'late-heartbeat',
        `Heartbeat of ${this.path} came ${Math.round(elapsed)} ms after the last (stale window ${this.resolved.staleAfterMs} ms).`,
      );
      throw this.signal.reason;
    }
    failpoint('before-heartbeat-write');
    try {
      this.rewrite({ ...this.record, heartbeatAt: new Date(this.resolved.now()).toISOString() });
    } catch (error) {
      this.compromise(
        'heartbeat-failed',
        `Heartbeat of ${this.path} failed: ${(error as Error).message}`,
        error,
      );
      throw this.signal.reason;
    }
    this.lastBeat = this.resolved.monotonic();
  }

  /** Writes the body into our own inode, in place: never touches whatever the path names now. */
  rewrite(record: LockRecord): void {
    const body = serialize(record);
    if (Buffer.byteLength(body) !== Buffer.byteLength(serialize(this.record))) {
      throw new Error('the lock body changed length');
    }
    writeSync(this.fd, body, 0);
    this.record = record;
    this.fencingToken = record.fencingToken;
  }

  async refresh(): Promise<void> {
    this.writeHeartbeat();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** {@link LockHandle.release}, synchronously: also used when an acquisition fails half-way. */
  releaseSync(): ReleaseResult {
    if (this.released) return { released: false, reason: 'already-released' };
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    try {
      const where = this.stillOurs();
      if (where === 'removed') return { released: false, reason: 'missing' };
      if (where === 'replaced') return { released: false, reason: 'not-ours' };
      // Move it to a name only we use, then check the inode we moved: if a
      // takeover slipped in between, what we moved is put back (link(2)
      // never overwrites), so a release never deletes another holder's lock.
      const aside = moveAside(this.path, this.path);
      if (!aside) return { released: false, reason: 'missing' };
      let moved: { ino: number; dev: number } | undefined;
      try {
        moved = lstatSync(aside);
      } catch {
        return { released: true, reason: 'released' };
      }
      if (moved.ino !== this.ino || moved.dev !== this.dev) {
        putBack(aside, this.path);
        return { released: false, reason: 'not-ours' };
      }
      removeQuietly(aside);
      return { released: true, reason: 'released' };
    } finally {
      this.close();
    }
  }

  async release(): Promise<ReleaseResult> {
    return this.releaseSync();
  }
}
