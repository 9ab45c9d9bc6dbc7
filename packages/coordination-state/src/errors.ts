const marker = Symbol.for('runwarden.coordination-state.error');

/** Stable codes for {@link CoordinationError}. */
export type CoordinationErrorCode =
  | 'ERR_INVALID_TARGET'
  | 'ERR_INVALID_STATE'
  | 'ERR_INVALID_RUN_ID'
  | 'ERR_STORE_BUSY';

/**
 * The one error type of `@runwarden/coordination-state`. `ERR_INVALID_STATE`
 * (a corrupt or unknown state file, left as it is) maps to the CLI's exit 7.
 */
export class CoordinationError extends Error {
  override readonly name = 'CoordinationError';
  readonly code: CoordinationErrorCode;
  readonly hint: string | undefined;
  /** The state file concerned, when there is one. */
  readonly path: string | undefined;

  constructor(
    code: CoordinationErrorCode,
    message: string,
    options: { cause?: unknown; hint?: string; path?: string } = {},
  ) {
    super(message, { cause: options.cause });
    Object.defineProperty(this, marker, { value: true });
    this.code = code;
    this.hint = options.hint;
    this.path = options.path;
  }

  /** True when `error` is a `CoordinationError` from any copy of this package. */
  static isInstance(error: unknown): error is CoordinationError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
