import { hasMarker, mark } from '@runwarden/error-marker';
import type { IdentityVerdict } from '@runwarden/process-identity';

const name = 'KillTreeError';
const marker = `runwarden.kill-tree.error.${name}`;

/**
 * Stable codes for {@link KillTreeError}: `ERR_IDENTITY_MISMATCH` (the pid is
 * someone else's now), `ERR_IDENTITY_UNKNOWN` (it cannot be verified),
 * `ERR_INVALID_TARGET`, `ERR_INVALID_OPTION`, `ERR_UNSUPPORTED_PLATFORM`.
 */
export type KillTreeErrorCode =
  | 'ERR_IDENTITY_MISMATCH'
  | 'ERR_IDENTITY_UNKNOWN'
  | 'ERR_INVALID_TARGET'
  | 'ERR_INVALID_OPTION'
  | 'ERR_UNSUPPORTED_PLATFORM';

/** What a {@link KillTreeError} is built from. */
export interface KillTreeErrorOptions {
  /** The stable code. */
  code: KillTreeErrorCode;
  /** One line for people. */
  message: string;
  /** What to do next, for people. @default none */
  hint?: string | undefined;
  /** The identity verdict behind a refusal. @default none */
  verdict?: IdentityVerdict | undefined;
  /** The underlying error, kept as `error.cause`. @default none */
  cause?: unknown;
}

/**
 * The one error type of `@runwarden/kill-tree`. `ERR_IDENTITY_MISMATCH` maps to
 * the CLI's exit 6 (`IDENTITY_MISMATCH`): the pid now belongs to someone else
 * and nothing was signalled.
 */
export class KillTreeError extends Error {
  override readonly name = name;
  /** Stable machine-readable code. */
  readonly code: KillTreeErrorCode;
  /** What to do next, for people. */
  readonly hint: string | undefined;
  /** The identity verdict that made the kill refuse, when there was one. */
  readonly verdict: IdentityVerdict | undefined;

  /** @param options - the code, message, and optional hint, verdict and cause. */
  constructor({ code, message, hint, verdict, cause }: KillTreeErrorOptions) {
    super(message, { cause });
    mark(this, marker); // used in isInstance
    this.code = code;
    this.hint = hint;
    this.verdict = verdict;
  }

  /** True when `error` is a `KillTreeError` from any copy of this package. */
  static isInstance(error: unknown): error is KillTreeError {
    return hasMarker(error, marker);
  }
}
