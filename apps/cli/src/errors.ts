import { hasMarker, mark } from '@runwarden/error-marker';
import type { ReasonCode } from '@runwarden/watchdog';

const name = 'CliError';
const marker = `runwarden.cli.error.${name}`;

/** What a {@link CliError} is made of. */
export interface CliErrorOptions {
  /** The reason code; its exit code comes from DESIGN.md's table. */
  reason: ReasonCode;
  /** One line for people. */
  message: string;
  /** What to do next, printed on a second line. */
  hint?: string;
  /** Fields `--json` prints beside `message` and `hint`. @default {} */
  data?: Record<string, unknown>;
  /** The error this one explains. */
  cause?: unknown;
}

/**
 * An error that ends a command with a reason code from DESIGN.md's exit
 * table and a one-line message (plus an optional hint line).
 */
export class CliError extends Error {
  override readonly name = name;
  /** The reason code; its exit code comes from DESIGN.md's table. */
  readonly reason: ReasonCode;
  /** What to do next, printed on a second line. */
  readonly hint: string | undefined;
  /** Fields `--json` prints beside `message` and `hint`. */
  readonly data: Record<string, unknown>;

  /**
   * @param options - the reason, the message, and optionally a hint, data for `--json`, and the cause.
   */
  constructor(options: CliErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    mark(this, marker); // used in isInstance
    this.reason = options.reason;
    this.hint = options.hint;
    this.data = options.data ?? {};
  }

  /**
   * True when `error` is a `CliError` from any copy of the CLI (its own
   * `Symbol.for` marker, vercel/ai's pattern, not `instanceof`).
   *
   * @param error - anything caught.
   * @returns whether it is a {@link CliError}.
   */
  static isInstance(error: unknown): error is CliError {
    return hasMarker(error, marker);
  }
}

/**
 * A bad flag, duration or config value: exit 64.
 *
 * @param message - the one line, naming the flag.
 * @returns the error, to throw.
 */
export function usage(message: string): CliError {
  return new CliError({ reason: 'USAGE', message });
}
