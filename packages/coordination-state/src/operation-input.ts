import type { IdentityVerdict, ProcessIdentity } from '@runwarden/process-identity';
import { COORDINATION_DEFAULTS } from './defaults.js';
import { CoordinationError } from './errors.js';

/** Input of a claim. */
export interface ClaimInput {
  /** The claiming run's id (any non-empty string; dev-loops uses its async run id). */
  runId: string;
  /**
   * `takeover` replaces a live owner (dev-loops' takeover); `claim` fails
   * closed on one with `active_run_exists`.
   * @default 'claim'
   */
  mode?: 'claim' | 'takeover';
  /**
   * The owning process (`captureIdentity()` of `@runwarden/process-identity`),
   * recorded so that, on the same machine, a dead owner can be claimed at once.
   * Without it only the lease frees the target.
   * @default undefined
   */
  owner?: ProcessIdentity;
  /**
   * Lease length in ms: another run may claim the target once `updatedAt +
   * leaseMs` has passed without a refresh (Kubernetes Lease's
   * `leaseDurationSeconds`). A positive integer of at most 30 days.
   * @default COORDINATION_DEFAULTS.leaseMs (300000, 5 minutes)
   */
  leaseMs?: number;
}

/**
 * Facts a claim decides from: the current owner's identity verdict
 * (`verifyIdentity` of `@runwarden/process-identity`, made by the store).
 * Only `dead` and `reused` free a target at once; `alive`, `foreign-host` and
 * `unknown` never do (fail closed).
 */
export interface ClaimFacts {
  /** The verdict on `activeRun.owner`, when the record has an owner. @default undefined */
  ownerVerdict?: IdentityVerdict;
}

/** The longest lease accepted, in ms (30 days). */
export const MAX_LEASE_MS = 30 * 24 * 3600_000;

/**
 * Validates and trims a run id, as dev-loops does.
 *
 * @param runId - the run id given.
 * @returns the trimmed run id.
 * @throws {CoordinationError} `ERR_INVALID_RUN_ID` when it is not a non-empty string.
 */
export function normalizeRunId(runId: unknown): string {
  if (typeof runId !== 'string' || runId.trim().length === 0) {
    throw new CoordinationError({
      code: 'ERR_INVALID_RUN_ID',
      message: 'A non-empty run id is required.',
    });
  }
  return runId.trim();
}

/**
 * Validates a lease length.
 *
 * @param leaseMs - the lease in ms, or `undefined` for the default.
 * @returns the lease in ms.
 * @throws {CoordinationError} `ERR_INVALID_OPTION` unless it is a positive integer of at most {@link MAX_LEASE_MS}.
 */
export function normalizeLeaseMs(leaseMs: unknown): number {
  if (leaseMs === undefined) return COORDINATION_DEFAULTS.leaseMs;
  if (
    typeof leaseMs !== 'number' ||
    !Number.isInteger(leaseMs) ||
    leaseMs <= 0 ||
    leaseMs > MAX_LEASE_MS
  ) {
    throw new CoordinationError({
      code: 'ERR_INVALID_OPTION',
      message: `Invalid lease ${JSON.stringify(leaseMs)}: use a positive whole number of milliseconds up to 30 days.`,
    });
  }
  return leaseMs;
}

/**
 * Validates an option that counts something: a store's `historyLimit`
 * (entries kept per list) or `maxBatchOperations` (operations per batch).
 *
 * @param name - how the message names it (`history limit`, `maxBatchOperations`).
 * @param given - the option as given, or `undefined` for the default.
 * @param fallback - the default.
 * @returns the count.
 * @throws {CoordinationError} `ERR_INVALID_OPTION` unless it is a positive integer.
 */
export function positiveCount(name: string, given: number | undefined, fallback: number): number {
  const count = given ?? fallback;
  if (!Number.isInteger(count) || count <= 0) {
    throw new CoordinationError({
      code: 'ERR_INVALID_OPTION',
      message: `Invalid ${name} ${JSON.stringify(given)}: use a positive whole number.`,
    });
  }
  return count;
}
