import { hasMarker, mark } from '@runwarden/error-marker';

const name = 'WatchdogError';
const marker = `runwarden.watchdog.error.${name}`;

/** Stable codes for {@link WatchdogError}. */
export type WatchdogErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_UNSAFE_PATH'
  | 'ERR_JOURNAL_EVENT'
  | 'ERR_ADOPT_NOT_FOUND';

/** What {@link WatchdogError}'s constructor takes. */
export interface WatchdogErrorOptions {
  /** The stable code. */
  code: WatchdogErrorCode;
  /** One line for people. */
  message: string;
  /** What to do next, for people. */
  hint?: string;
  /** The option that failed validation, as a dotted path. */
  option?: string;
  /** The file or directory concerned. */
  path?: string;
  /** The error behind this one (kept as `cause`). */
  cause?: unknown;
}

/**
 * The one error type of `@runwarden/watchdog`. It is thrown only for the
 * caller's mistakes and for state the watchdog cannot write; the child's
 * failures are results ({@link RunResult}), never errors.
 *
 * - `ERR_INVALID_OPTION`: an option failed validation; `option` names it (the CLI maps it to exit 64, `USAGE`).
 * - `ERR_UNSAFE_PATH`: the run directory or a log is a symlink or not a regular file/directory (state is never followed through a symlink).
 * - `ERR_JOURNAL_EVENT`: an event did not match {@link journalEventSchema} (a bug).
 * - `ERR_ADOPT_NOT_FOUND`: the process to adopt does not exist (or is a zombie).
 */
export class WatchdogError extends Error {
  override readonly name = name;
  readonly code: WatchdogErrorCode;
  /** What to do next, for people. */
  readonly hint: string | undefined;
  /** The option that failed validation (`ERR_INVALID_OPTION`), as a dotted path, e.g. `quota.pattern`. */
  readonly option: string | undefined;
  /** The file or directory concerned, when there is one. */
  readonly path: string | undefined;

  /**
   * @param options - `code`, `message` (one line for people), and optionally
   *   `hint`, `option`, `path` and `cause` (kept).
   */
  constructor(options: WatchdogErrorOptions) {
    super(options.message, { cause: options.cause });
    mark(this, marker); // used in isInstance
    this.code = options.code;
    this.hint = options.hint;
    this.option = options.option;
    this.path = options.path;
  }

  /**
   * True when `error` is a `WatchdogError` from any copy of this package (a
   * `Symbol.for` marker, not `instanceof`).
   *
   * @param error - anything caught.
   * @returns whether it is a `WatchdogError`.
   */
  static isInstance(error: unknown): error is WatchdogError {
    return hasMarker(error, marker);
  }
}
