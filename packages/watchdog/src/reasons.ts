/**
 * Why a run ended: the reason codes of runwarden's exit table (DESIGN.md,
 * "Exit and reason codes"), shared by the CLI and the supervisor.
 */
export type ReasonCode =
  | 'OK'
  | 'CHILD_FAILED'
  | 'FALSE_SUCCESS'
  | 'SERVICE_FAILED'
  | 'MISSION_TIMEOUT'
  | 'IDLE_TIMEOUT'
  | 'STARTUP_TIMEOUT'
  | 'RESUME_BUDGET_EXHAUSTED'
  | 'LOCK_HELD'
  | 'IDENTITY_MISMATCH'
  | 'INVALID_STATE'
  | 'UNKILLABLE'
  | 'USAGE'
  | 'INTERNAL'
  | 'INTERRUPTED';

/** Every {@link ReasonCode}, in the order of DESIGN.md's table (for schemas and `--help`). */
export const reasonCodes = [
  'OK',
  'CHILD_FAILED',
  'FALSE_SUCCESS',
  'SERVICE_FAILED',
  'MISSION_TIMEOUT',
  'IDLE_TIMEOUT',
  'STARTUP_TIMEOUT',
  'RESUME_BUDGET_EXHAUSTED',
  'LOCK_HELD',
  'IDENTITY_MISMATCH',
  'INVALID_STATE',
  'UNKILLABLE',
  'USAGE',
  'INTERNAL',
  'INTERRUPTED',
] as const satisfies readonly ReasonCode[];

/** The process exit code of each reason (sysexits(3) for `USAGE` 64 and `INTERNAL` 70; 130 = 128 + SIGINT). */
export const EXIT_CODES: Readonly<Record<ReasonCode, number>> = Object.freeze({
  OK: 0,
  CHILD_FAILED: 1,
  FALSE_SUCCESS: 1,
  SERVICE_FAILED: 1,
  MISSION_TIMEOUT: 2,
  IDLE_TIMEOUT: 3,
  STARTUP_TIMEOUT: 3,
  RESUME_BUDGET_EXHAUSTED: 4,
  LOCK_HELD: 5,
  IDENTITY_MISMATCH: 6,
  INVALID_STATE: 7,
  UNKILLABLE: 8,
  USAGE: 64,
  INTERNAL: 70,
  INTERRUPTED: 130,
});

/**
 * The exit code for a reason.
 *
 * @param reason - a reason code.
 * @returns its exit code from {@link EXIT_CODES}.
 */
export function exitCodeFor(reason: ReasonCode): number {
  return EXIT_CODES[reason];
}
