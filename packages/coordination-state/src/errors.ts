import { hasMarker, mark } from '@runwarden/error-marker';

const name = 'CoordinationError';
const marker = `runwarden.coordination-state.error.${name}`;

/**
 * Stable codes for {@link CoordinationError}:
 *
 * - `ERR_INVALID_TARGET`: a target key that cannot be parsed (CLI exit 64);
 * - `ERR_INVALID_RUN_ID`: an empty run id (exit 64);
 * - `ERR_INVALID_OPTION`: an option out of range, e.g. a lease that is not a positive integer (exit 64);
 * - `ERR_INVALID_STATE`: a corrupt or unknown state file or row, left as it is (exit 7);
 * - `ERR_STORE_BUSY`: another writer held the target longer than `lockWaitMs` (exit 5);
 * - `ERR_STORE_IO`: the file store's directory or a file in it cannot be read or written (EACCES, EROFS, ENOSPC, …), with the path (exit 7);
 * - `ERR_DATABASE_UNREACHABLE`: no connection to PostgreSQL within the timeout (exit 70 unless mapped);
 * - `ERR_SCHEMA_MISSING`: the PostgreSQL schema was not created (run `runwarden db migrate`);
 * - `ERR_DATABASE`: any other PostgreSQL error, with the server's error kept as `cause`.
 */
export type CoordinationErrorCode =
  | 'ERR_INVALID_TARGET'
  | 'ERR_INVALID_STATE'
  | 'ERR_INVALID_RUN_ID'
  | 'ERR_INVALID_OPTION'
  | 'ERR_STORE_BUSY'
  | 'ERR_STORE_IO'
  | 'ERR_DATABASE_UNREACHABLE'
  | 'ERR_SCHEMA_MISSING'
  | 'ERR_DATABASE';

/** What a {@link CoordinationError} is built from. */
export interface CoordinationErrorOptions {
  /** The stable code; see {@link CoordinationErrorCode}. */
  code: CoordinationErrorCode;
  /** One line for people. */
  message: string;
  /** What to do next, for people. @default none */
  hint?: string | undefined;
  /** The state file concerned. @default none */
  path?: string | undefined;
  /** The underlying error, kept as `error.cause`. @default none */
  cause?: unknown;
}

/**
 * The one error type of `@runwarden/coordination-state`. `ERR_INVALID_STATE`
 * (a corrupt or unknown state file, left as it is) maps to the CLI's exit 7.
 * Conflicts between runs (`active_run_exists`, `ownership_lost`, …) are not
 * errors: they are results with `ok: false`, as in dev-loops.
 */
export class CoordinationError extends Error {
  override readonly name = name;
  /** The stable code; see {@link CoordinationErrorCode}. */
  readonly code: CoordinationErrorCode;
  /** What to do next, for people. */
  readonly hint: string | undefined;
  /** The state file concerned, when there is one. */
  readonly path: string | undefined;

  /** @param options - the code, message, and optional hint, path and cause. */
  constructor({ code, message, hint, path, cause }: CoordinationErrorOptions) {
    super(message, { cause });
    mark(this, marker); // used in isInstance
    this.code = code;
    this.hint = hint;
    this.path = path;
  }

  /**
   * True when `error` is a `CoordinationError` from any copy of this package
   * (a `Symbol.for` marker, not `instanceof`).
   *
   * @param error - anything caught.
   * @returns whether it is a {@link CoordinationError}.
   */
  static isInstance(error: unknown): error is CoordinationError {
    return hasMarker(error, marker);
  }
}
