const marker = Symbol.for('runwarden.evidence-hasher.error');

/** Stable codes for {@link EvidenceError}. */
export type EvidenceErrorCode = 'ERR_EVIDENCE_ROOT' | 'ERR_EVIDENCE_MANIFEST';

/** The one error type of `@runwarden/evidence-hasher`. */
export class EvidenceError extends Error {
  override readonly name = 'EvidenceError';
  readonly code: EvidenceErrorCode;
  readonly hint: string | undefined;
  /** The file or directory concerned. */
  readonly path: string;

  constructor(
    code: EvidenceErrorCode,
    path: string,
    message: string,
    options: { cause?: unknown; hint?: string } = {},
  ) {
    super(message, { cause: options.cause });
    Object.defineProperty(this, marker, { value: true });
    this.code = code;
    this.path = path;
    this.hint = options.hint;
  }

  /** True when `error` is an `EvidenceError` from any copy of this package. */
  static isInstance(error: unknown): error is EvidenceError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
