import { EXIT_CODES, type ReasonCode } from '@runwarden/watchdog';

/**
 * Prints the one JSON object a `--json` command prints on stdout:
 * `{ ok, reason, exitCode, ...data }`, two-space indented, where `exitCode`
 * is the reason's code in DESIGN.md's table (`EXIT_CODES`).
 *
 * @param reason - the reason code.
 * @param data - the command's fields.
 */
export function printJson(reason: ReasonCode, data: Record<string, unknown>): void {
  process.stdout.write(
    `${JSON.stringify({ ok: reason === 'OK', reason, exitCode: EXIT_CODES[reason], ...data }, null, 2)}\n`,
  );
}
