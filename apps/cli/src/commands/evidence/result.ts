import { EXIT_CODES } from '@runwarden/watchdog';

/**
 * Reasons of the evidence commands. Besides DESIGN.md's table:
 * `EVIDENCE_MISMATCH` (exit 1: verify found a difference, like `sha256sum -c`)
 * and `EVIDENCE_INCOMPLETE` (exit 1: hash wrote evidence, but some entries
 * were unreadable or unstable, like `sha256sum` on an unreadable file).
 */
export type EvidenceReason =
  | 'OK'
  | 'EVIDENCE_MISMATCH'
  | 'EVIDENCE_INCOMPLETE'
  | 'USAGE'
  | 'INVALID_STATE';

/** The exit code of each {@link EvidenceReason}. */
export const EVIDENCE_EXIT: Readonly<Record<EvidenceReason, number>> = Object.freeze({
  OK: EXIT_CODES.OK,
  EVIDENCE_MISMATCH: 1,
  EVIDENCE_INCOMPLETE: 1,
  USAGE: EXIT_CODES.USAGE,
  INVALID_STATE: EXIT_CODES.INVALID_STATE,
});

/**
 * Prints the one `--json` object of an evidence command.
 *
 * @param reason - how it ended.
 * @param data - the fields beside `ok`, `reason` and `exitCode`.
 * @returns the exit code.
 */
export function printResult(reason: EvidenceReason, data: Record<string, unknown>): number {
  const exitCode = EVIDENCE_EXIT[reason];
  process.stdout.write(
    `${JSON.stringify({ ok: reason === 'OK', reason, exitCode, ...data }, null, 2)}\n`,
  );
  return exitCode;
}
