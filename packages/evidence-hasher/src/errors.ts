import { hasMarker, mark } from '@runwarden/error-marker';

const name = 'EvidenceError';
const marker = `runwarden.evidence-hasher.error.${name}`;

/**
 * Stable codes for {@link EvidenceError}:
 * - `ERR_EVIDENCE_ROOT`: the root is missing, not a directory, or cannot be listed;
 * - `ERR_EVIDENCE_MANIFEST`: a manifest is missing, not JSON, of an unknown schema version, or malformed (the file is left as it is);
 * - `ERR_EVIDENCE_OUTPUT`: an evidence document cannot be written;
 * - `ERR_EVIDENCE_WORKER`: a hashing worker thread failed (a bug);
 * - `ERR_EVIDENCE_LOG_CHAIN`: a log chain cannot be created or written, or was used after `close()`.
 */
export type EvidenceErrorCode =
  | 'ERR_EVIDENCE_ROOT'
  | 'ERR_EVIDENCE_MANIFEST'
  | 'ERR_EVIDENCE_OUTPUT'
  | 'ERR_EVIDENCE_WORKER'
  | 'ERR_EVIDENCE_LOG_CHAIN';

/** What an {@link EvidenceError} is built from. */
export interface EvidenceErrorOptions {
  /** The stable code. */
  code: EvidenceErrorCode;
  /** The file or directory concerned. */
  path: string;
  /** One line for people, naming the file. */
  message: string;
  /** What to do next, for people. @default none */
  hint?: string | undefined;
  /** The underlying error, kept as `error.cause`. @default none */
  cause?: unknown;
}

/** The one error type of `@runwarden/evidence-hasher`. */
export class EvidenceError extends Error {
  override readonly name = name;
  /** Which failure this is; stable across versions. */
  readonly code: EvidenceErrorCode;
  /** What to do next, for people. */
  readonly hint: string | undefined;
  /** The file or directory concerned. */
  readonly path: string;

  /** @param options - the code, path, message, and optional hint and cause. */
  constructor({ code, path, message, hint, cause }: EvidenceErrorOptions) {
    super(message, { cause });
    mark(this, marker); // used in isInstance
    this.code = code;
    this.path = path;
    this.hint = hint;
  }

  /**
   * True when `error` is an `EvidenceError` from any copy of this package
   * (checked by a `Symbol.for` marker, not `instanceof`).
   *
   * @param error Anything caught.
   * @returns Whether it is an `EvidenceError`.
   */
  static isInstance(error: unknown): error is EvidenceError {
    return hasMarker(error, marker);
  }
}
