import type { ReasonCode } from '@runwarden/watchdog';

/**
 * An error that ends a command with a reason code from DESIGN.md's exit
 * table and a one-line message (plus an optional hint line).
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly reason: ReasonCode,
    message: string,
    readonly hint?: string,
    readonly data: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A bad flag, duration or config value: exit 64. */
export function usage(message: string): CliError {
  return new CliError('USAGE', message);
}
