import { hasMarker, mark } from '@runwarden/error-marker';
import type { LockRecord } from './schema.js';

/** The marker of a class of this package: each class has its own (vercel/ai's pattern). */
const markerOf = (name: string) => `runwarden.lock-core.error.${name}`;

const name = 'LockError';
const marker = markerOf(name);

/** Stable codes for {@link LockError} and its subclasses. */
export type LockErrorCode =
  | 'ERR_LOCK_HELD'
  | 'ERR_LOCK_CORRUPT'
  | 'ERR_LOCK_COMPROMISED'
  | 'ERR_LOCK_UNSAFE_PATH'
  | 'ERR_LOCK_NOT_HELD'
  | 'ERR_LOCK_IO'
  | 'ERR_LOCK_FENCE_EXHAUSTED';

/** What every {@link LockError} is built from. */
export interface LockErrorOptions {
  /** The stable code. */
  code: LockErrorCode;
  /** The lock file (or fence) concerned. */
  path: string;
  /** For people: what happened, naming the file. */
  message: string;
  /** What to do next, for people. @default none */
  hint?: string | undefined;
  /** The underlying error, kept as `error.cause`. @default none */
  cause?: unknown;
}

/**
 * The base error of `@runwarden/lock-core`. Check with
 * {@link LockError.isInstance}, not `instanceof`, so two copies of the package
 * agree.
 */
export class LockError extends Error {
  override readonly name: string = name;
  /** Stable code: what went wrong, for programs. */
  readonly code: LockErrorCode;
  /** What to do next, for people. */
  readonly hint: string | undefined;
  /** The lock file concerned. */
  readonly path: string;

  /** @param options - the code, path, message, and optional hint and cause. */
  constructor({ code, path, message, hint, cause }: LockErrorOptions) {
    super(message, { cause });
    mark(this, marker); // used in isInstance
    this.code = code;
    this.path = path;
    this.hint = hint;
  }

  /**
   * True when `error` is a `LockError` (or any subclass) from any copy of this
   * package: a `Symbol.for` marker per class (`@runwarden/error-marker`),
   * not `instanceof`.
   *
   * @param error - anything caught.
   * @returns whether it is a {@link LockError}.
   */
  static isInstance(error: unknown): error is LockError {
    return hasMarker(error, marker);
  }
}

const lockHeldErrorMarker = markerOf('LockHeldError');

/** What a {@link LockHeldError} is built from. */
export interface LockHeldErrorOptions extends Omit<LockErrorOptions, 'code'> {
  /** Why the lock counts as held (`holder-alive`, `orphaned-run`, …). */
  reason: string;
  /** The current holder's record, when it could be read. @default none */
  holder?: LockRecord | undefined;
}

/** Another live holder has the lock (CLI exit 5, `LOCK_HELD`). */
export class LockHeldError extends LockError {
  override readonly name = 'LockHeldError';
  /** The current holder's record, when it could be read. */
  readonly holder: LockRecord | undefined;
  /** Why the lock counts as held (`holder-alive`, `orphaned-run`, …). */
  readonly reason: string;

  /** @param options - the path, message, reason, and optional holder, hint and cause. */
  constructor({ reason, holder, ...rest }: LockHeldErrorOptions) {
    super({ code: 'ERR_LOCK_HELD', ...rest });
    mark(this, lockHeldErrorMarker); // used in isInstance
    this.reason = reason;
    this.holder = holder;
  }

  /**
   * True when `error` is a `LockHeldError` from any copy of this package (its own
   * marker: a plain `LockError` or another subclass is not one).
   *
   * @param error - anything caught.
   * @returns whether it is a {@link LockHeldError}.
   */
  static override isInstance(error: unknown): error is LockHeldError {
    return hasMarker(error, lockHeldErrorMarker);
  }
}

const lockCorruptErrorMarker = markerOf('LockCorruptError');

/**
 * The lock file holds something that is not a lock record (CLI exit 7,
 * `INVALID_STATE`). The file is left exactly as it was.
 */
export class LockCorruptError extends LockError {
  override readonly name = 'LockCorruptError';
  /** @param options - the path, message, and optional hint and cause. */
  constructor(options: Omit<LockErrorOptions, 'code'>) {
    super({ code: 'ERR_LOCK_CORRUPT', ...options });
    mark(this, lockCorruptErrorMarker); // used in isInstance
  }

  /**
   * True when `error` is a `LockCorruptError` from any copy of this package (its own
   * marker: a plain `LockError` or another subclass is not one).
   *
   * @param error - anything caught.
   * @returns whether it is a {@link LockCorruptError}.
   */
  static override isInstance(error: unknown): error is LockCorruptError {
    return hasMarker(error, lockCorruptErrorMarker);
  }
}

/**
 * Why a held lock was lost: the file was `removed` or `replaced` under its
 * holder (a takeover, or a person), a heartbeat came later than `staleAfterMs`
 * (`late-heartbeat`), or the heartbeat could not be written (`heartbeat-failed`).
 */
export type CompromiseReason = 'removed' | 'replaced' | 'late-heartbeat' | 'heartbeat-failed';

const lockCompromisedErrorMarker = markerOf('LockCompromisedError');

/** What a {@link LockCompromisedError} is built from. */
export interface LockCompromisedErrorOptions extends Omit<LockErrorOptions, 'code'> {
  /** What happened. @default none */
  reason?: CompromiseReason | undefined;
}

/**
 * The lock was replaced or removed under its holder, or a heartbeat missed the
 * stale window: the holder must stop writing (proper-lockfile's `onCompromised`,
 * delivered as the reason of the handle's `AbortSignal`).
 */
export class LockCompromisedError extends LockError {
  override readonly name = 'LockCompromisedError';
  /** What happened; `undefined` only for errors built by older callers. */
  readonly reason: CompromiseReason | undefined;

  /** @param options - the path, message, and optional reason, hint and cause. */
  constructor({ reason, ...rest }: LockCompromisedErrorOptions) {
    super({ code: 'ERR_LOCK_COMPROMISED', ...rest });
    mark(this, lockCompromisedErrorMarker); // used in isInstance
    this.reason = reason;
  }

  /**
   * True when `error` is a `LockCompromisedError` from any copy of this package (its own
   * marker: a plain `LockError` or another subclass is not one).
   *
   * @param error - anything caught.
   * @returns whether it is a {@link LockCompromisedError}.
   */
  static override isInstance(error: unknown): error is LockCompromisedError {
    return hasMarker(error, lockCompromisedErrorMarker);
  }
}
