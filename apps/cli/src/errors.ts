import { hasMarker, mark } from '@runwarden/error-marker';
import { type ReasonCode, WatchdogError } from '@runwarden/watchdog';

const name = 'CliError';
const marker = `runwarden.cli.error.${name}`;

/**
 * An error that ends a command with a reason code from DESIGN.md's exit
 * table and a one-line message (plus an optional hint line).
 */
export class CliError extends Error {
  override readonly name = name;

  /**
   * @param reason - the reason code; its exit code comes from DESIGN.md's table.
   * @param message - one line for people.
   * @param hint - what to do next, printed on a second line.
   * @param data - fields `--json` prints beside `message` and `hint`.
   */
  constructor(
    readonly reason: ReasonCode,
    message: string,
    readonly hint?: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
    mark(this, marker); // used in isInstance
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

/** A bad flag, duration or config value: exit 64. */
export function usage(message: string): CliError {
  return new CliError('USAGE', message);
}

/**
 * Maps a watchdog error about state (a journal or log that is a FIFO,
 * symlink or directory: `ERR_UNSAFE_PATH`) to exit 7 with its path and way
 * out; anything else is returned as it is.
 *
 * @param error - anything thrown.
 * @returns a {@link CliError} `INVALID_STATE`, or `error`.
 */
export function stateFailure(error: unknown): unknown {
  if (WatchdogError.isInstance(error) && error.code === 'ERR_UNSAFE_PATH')
    return new CliError('INVALID_STATE', error.message, error.hint, { path: error.path });
  return error;
}
