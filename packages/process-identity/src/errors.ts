import { hasMarker, mark } from '@runwarden/error-marker';

const name = 'ProcessIdentityError';
const marker = `runwarden.process-identity.error.${name}`;

/**
 * Stable codes for {@link ProcessIdentityError}: `ERR_UNSUPPORTED_PLATFORM` (no
 * reader for this OS), `ERR_INVALID_PID`, `ERR_PROC_UNREADABLE`,
 * `ERR_PROCESS_TABLE` (`ps` or PowerShell failed or printed something
 * unreadable), `ERR_HOST_FACTS`.
 */
export type ProcessIdentityErrorCode =
  | 'ERR_UNSUPPORTED_PLATFORM'
  | 'ERR_INVALID_PID'
  | 'ERR_PROC_UNREADABLE'
  | 'ERR_PROCESS_TABLE'
  | 'ERR_HOST_FACTS';

/** What a {@link ProcessIdentityError} is built from. */
export interface ProcessIdentityErrorOptions {
  /** The stable code. */
  code: ProcessIdentityErrorCode;
  /** One line for people. */
  message: string;
  /** What to do next, for people. @default none */
  hint?: string | undefined;
  /** The underlying error, kept as `error.cause`. @default none */
  cause?: unknown;
}

/**
 * The one error type of `@runwarden/process-identity`.
 *
 * Check with {@link ProcessIdentityError.isInstance} rather than `instanceof`, so
 * two copies of the package still agree (the `Symbol.for` marker pattern of
 * `vercel/ai`'s `AISDKError`).
 */
export class ProcessIdentityError extends Error {
  override readonly name = name;
  /** Stable machine-readable code. */
  readonly code: ProcessIdentityErrorCode;
  /** What to do next, for people. */
  readonly hint: string | undefined;

  /** @param options - the code, message, and optional hint and cause. */
  constructor({ code, message, hint, cause }: ProcessIdentityErrorOptions) {
    super(message, { cause });
    mark(this, marker); // used in isInstance
    this.code = code;
    this.hint = hint;
  }

  /** True when `error` is a `ProcessIdentityError` from any copy of this package. */
  static isInstance(error: unknown): error is ProcessIdentityError {
    return hasMarker(error, marker);
  }
}
