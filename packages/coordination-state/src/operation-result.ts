import type { ActiveRun, CoordinationRecord, ExitSignal, PreviousRun } from './schema.js';
import type { Target } from './target.js';

/** Statuses of a successful claim (dev-loops' three plus `claimed_expired` and `claimed_dead_owner`). */
export type ClaimStatus =
  | 'claimed_new'
  | 'claimed_expired'
  | 'claimed_dead_owner'
  | 'refreshed'
  | 'taken_over';
/** Statuses of `assertOwnershipOn`. */
export type OwnershipStatus = 'owner_confirmed' | 'no_owner_record';
/** Statuses of a release. */
export type ReleaseStatus = 'released' | 'release_noop';
/** Conflict codes, as dev-loops names them. */
export type ConflictCode = 'active_run_exists' | 'ownership_lost' | 'ownership_missing';

/** A successful operation, shaped like dev-loops' results. */
export interface OperationOk<S extends string> {
  ok: true;
  /** What happened, e.g. `claimed_new`. */
  status: S;
  /** The normalised target key. */
  target: string;
  /** The run that asked. */
  runId: string;
  /** The owner after the operation (`null` when none). */
  activeRun: ActiveRun | null;
  /** The run replaced or released last. */
  previousRun: PreviousRun | null;
  /** The exit signals kept in the record. */
  exitSignals: ExitSignal[];
  /** The fencing token of the active run, when it has one. */
  fencingToken?: number;
}

/** A refused operation: nothing was written. */
export interface OperationConflict {
  ok: false;
  /** Why, as dev-loops names it. */
  error: ConflictCode;
  /** One line for people, e.g. `Target acme/widgets#12 is already owned by run run-a. Claim failed closed.` */
  message: string;
  /** The normalised target key. */
  target: string;
  /** The run that asked. */
  runId: string;
  /** The current owner (`null` when none). */
  activeRun: ActiveRun | null;
  /** The exit signals kept in the record. */
  exitSignals: ExitSignal[];
}

/** Any result. */
export type OperationResult<S extends string> = OperationOk<S> | OperationConflict;

/**
 * A successful result, shaped like dev-loops' (the owner, previous run, exit
 * signals and fencing token after the operation).
 *
 * @param status - what happened.
 * @param target - the parsed target.
 * @param runId - the run that asked.
 * @param record - the record after the operation.
 * @returns the result.
 */
export function ok<S extends string>(
  status: S,
  target: Target,
  runId: string,
  record: CoordinationRecord,
): OperationOk<S> {
  const result: OperationOk<S> = {
    ok: true,
    status,
    target: target.key,
    runId,
    activeRun: record.activeRun,
    previousRun: record.previousRun ?? null,
    exitSignals: record.exitSignals,
  };
  if (record.activeRun?.fencingToken !== undefined)
    result.fencingToken = record.activeRun.fencingToken;
  return result;
}

/**
 * A refused operation (nothing was written), as dev-loops names it.
 *
 * @param error - the conflict code.
 * @param message - one line for people.
 * @param target - the parsed target.
 * @param runId - the run that asked.
 * @param record - the record as read (`null` when none).
 * @returns the conflict.
 */
export function conflict(
  error: ConflictCode,
  message: string,
  target: Target,
  runId: string,
  record: CoordinationRecord | null,
): OperationConflict {
  return {
    ok: false,
    error,
    message,
    target: target.key,
    runId,
    activeRun: record?.activeRun ?? null,
    exitSignals: record?.exitSignals ?? [],
  };
}
