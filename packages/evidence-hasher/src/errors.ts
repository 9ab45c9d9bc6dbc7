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

/** The one error type of `@runwarden/evidence-hasher`. */
export class EvidenceError extends Error {
  override readonly name = name;
  /** Which failure this is; stable across versions. */
  readonly code: EvidenceErrorCode;
  /** What to do next, for people. */
  readonly hint: string | undefined;
  /** The file or directory concerned. */
  readonly path: string;

  /**
   * @param code The stable code.
   * @param path The file or directory concerned.
   * @param message One line for people, naming the file.
   * @param options The underlying error (kept as `cause`) and a hint.
   */
  constructor(
    code: EvidenceErrorCode,
    path: string,
    message: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super(message, { cause: options.cause });
    mark(this, marker); // used in isInstance
    this.code = code;
    this.path = path;
    this.hint = options.hint;
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
