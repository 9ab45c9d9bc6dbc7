import type { IdentityVerdict, ProcessIdentity } from '@runwarden/process-identity';
import { CoordinationError } from './errors.js';
import {
  type ActiveRun,
  COORDINATION_SCHEMA_VERSION,
  type CoordinationRecord,
  type ExitSignal,
  type HistoryEntry,
  type PreviousRun,
} from './schema.js';
import type { Target } from './target.js';

/** Statuses of a successful claim (dev-loops' three plus `claimed_expired` and `claimed_dead_owner`). */
export type ClaimStatus =
  | 'claimed_new'
  | 'claimed_expired'
  | 'claimed_dead_owner'
  | 'refreshed'
  | 'taken_over';
/** Statuses of {@link assertOwnershipOn}. */
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
   * @default 300000 (5 minutes)
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

/** The default number of history entries (and exit signals) a record keeps. */
export const DEFAULT_HISTORY_LIMIT = 200;

/** The default lease, in ms (5 minutes, refreshed by the heartbeat). */
export const DEFAULT_LEASE_MS = 300_000;

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
  if (leaseMs === undefined) return DEFAULT_LEASE_MS;
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
 * A fresh record for a target with no owner.
 *
 * @param target - the parsed target.
 * @returns a schema version 2 record with no active run and empty history.
 */
export function emptyRecord(target: Target): CoordinationRecord {
  return {
    schemaVersion: COORDINATION_SCHEMA_VERSION,
    target:
      target.kind === 'pull-request' ? { repo: target.repo, pr: target.pr } : { key: target.key },
    activeRun: null,
    previousRun: null,
    history: [],
    exitSignals: [],
    lastFencingToken: 0,
  };
}

function ok<S extends string>(
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

function conflict(
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

/**
 * The highest fencing token ever issued for a record: its counter, its active
 * run's token, or the highest in its history (dev-loops drops unknown
 * top-level fields when it rewrites a record but keeps history entries, so a
 * token survives there).
 *
 * @param record - the record.
 * @returns the token, 0 when none was ever issued.
 */
export function highestToken(record: CoordinationRecord): number {
  let highest = Math.max(record.lastFencingToken ?? 0, record.activeRun?.fencingToken ?? 0);
  for (const entry of record.history) {
    if (typeof entry.fencingToken === 'number' && entry.fencingToken > highest)
      highest = entry.fencingToken;
  }
  return highest;
}

/**
 * Is the active run's lease past `updatedAt + leaseMs`? A run without a lease
 * (a dev-loops record) never expires.
 *
 * @param activeRun - the active run.
 * @param nowMs - the time, Unix ms.
 * @returns whether another run may claim the target as `claimed_expired`.
 */
export function leaseExpired(activeRun: ActiveRun, nowMs: number): boolean {
  if (activeRun.leaseMs === undefined || activeRun.updatedAt === null) return false;
  const updated = Date.parse(activeRun.updatedAt);
  return Number.isFinite(updated) && nowMs > updated + activeRun.leaseMs;
}

/**
 * Applies a claim to a record: a pure function (the stores add atomicity).
 * Outcomes: `claimed_new` (no owner), `refreshed` (same run), `claimed_expired`
 * (lease passed), `claimed_dead_owner` (owner proven dead on this machine; never
 * when `unknown`), `taken_over` (mode `takeover`), or `active_run_exists`.
 * Every new owner gets a fencing token one higher than any before.
 *
 * @param current - the record as read, `null` when the target has none.
 * @param target - the parsed target.
 * @param input - run id, mode, owner and lease.
 * @param facts - the owner's identity verdict.
 * @param nowMs - the time, Unix ms.
 * @returns the record to write (`null` when nothing changes) and the result.
 * @throws {CoordinationError} `ERR_INVALID_RUN_ID` or `ERR_INVALID_OPTION` for bad input.
 */
export function applyClaim(
  current: CoordinationRecord | null,
  target: Target,
  input: ClaimInput,
  facts: ClaimFacts,
  nowMs: number,
): { next: CoordinationRecord | null; result: OperationResult<ClaimStatus> } {
  const runId = normalizeRunId(input.runId);
  const leaseMs = normalizeLeaseMs(input.leaseMs);
  const now = new Date(nowMs).toISOString();
  const record = current ?? emptyRecord(target);
  const active = record.activeRun;
  const newActive = (token: number): ActiveRun => {
    const run: ActiveRun = { runId, claimedAt: now, updatedAt: now, leaseMs, fencingToken: token };
    if (input.owner) run.owner = input.owner;
    return run;
  };
  if (active === null) {
    const token = highestToken(record) + 1;
    const next: CoordinationRecord = {
      ...record,
      activeRun: newActive(token),
      lastFencingToken: token,
      history: [...record.history, { type: 'claim', runId, at: now, fencingToken: token }],
    };
    return { next, result: ok('claimed_new', target, runId, next) };
  }
  if (active.runId === runId) {
    const refreshEntry: HistoryEntry = { type: 'refresh', runId, at: now };
    if (active.fencingToken !== undefined) refreshEntry.fencingToken = active.fencingToken;
    const next: CoordinationRecord = {
      ...record,
      activeRun: {
        ...active,
        claimedAt: active.claimedAt ?? now,
        updatedAt: now,
        leaseMs: input.leaseMs ?? active.leaseMs ?? leaseMs,
      },
      history: [...record.history, refreshEntry],
    };
    if (input.owner && !active.owner) next.activeRun!.owner = input.owner;
    return { next, result: ok('refreshed', target, runId, next) };
  }
  let status: ClaimStatus | undefined;
  if (leaseExpired(active, nowMs)) status = 'claimed_expired';
  else if (
    facts.ownerVerdict &&
    (facts.ownerVerdict.status === 'dead' || facts.ownerVerdict.status === 'reused')
  ) {
    status = 'claimed_dead_owner';
  } else if ((input.mode ?? 'claim') === 'takeover') status = 'taken_over';
  if (!status) {
    return {
      next: null,
      result: conflict(
        'active_run_exists',
        `Target ${target.key} is already owned by run ${active.runId}. Claim failed closed.`,
        target,
        runId,
        record,
      ),
    };
  }
  const token = highestToken(record) + 1;
  const next: CoordinationRecord = {
    ...record,
    activeRun: newActive(token),
    previousRun: { runId: active.runId, replacedAt: now, replacedByRunId: runId },
    lastFencingToken: token,
    history: [
      ...record.history,
      {
        type: status === 'taken_over' ? 'takeover' : 'claim',
        runId,
        previousRunId: active.runId,
        at: now,
        reason: status,
        fencingToken: token,
      },
    ],
  };
  return { next, result: ok(status, target, runId, next) };
}

/**
 * Refreshes the lease of the owning run (the heartbeat): a new `updatedAt`.
 *
 * @param current - the record as read, `null` when the target has none.
 * @param target - the parsed target.
 * @param runIdInput - the owning run.
 * @param nowMs - the time, Unix ms.
 * @returns the record to write (`null` on a conflict) and `refreshed`, or `ownership_lost` / `ownership_missing`.
 * @throws {CoordinationError} `ERR_INVALID_RUN_ID` for an empty run id.
 */
export function applyRefresh(
  current: CoordinationRecord | null,
  target: Target,
  runIdInput: string,
  nowMs: number,
): { next: CoordinationRecord | null; result: OperationResult<'refreshed'> } {
  const runId = normalizeRunId(runIdInput);
  if (!current?.activeRun) {
    return {
      next: null,
      result: conflict(
        'ownership_missing',
        `Target ${target.key} has no active owner to refresh for run ${runId}.`,
        target,
        runId,
        current,
      ),
    };
  }
  if (current.activeRun.runId !== runId) {
    return {
      next: null,
      result: conflict(
        'ownership_lost',
        `Target ${target.key} is now owned by run ${current.activeRun.runId}; run ${runId} must stop.`,
        target,
        runId,
        current,
      ),
    };
  }
  const next: CoordinationRecord = {
    ...current,
    activeRun: { ...current.activeRun, updatedAt: new Date(nowMs).toISOString() },
  };
  return { next, result: ok('refreshed', target, runId, next) };
}

/**
 * Checks that `runId` (and, when given, `fencingToken`) still owns the target.
 *
 * @param current - the record as read, `null` when the target has none.
 * @param target - the parsed target.
 * @param input - run id, optional fencing token, `requireExisting` (default false).
 * @returns `owner_confirmed`, `no_owner_record` (unless `requireExisting`), or
 *   `ownership_lost` (another run, or a newer token) / `ownership_missing`.
 * @throws {CoordinationError} `ERR_INVALID_RUN_ID` for an empty run id.
 */
export function assertOwnershipOn(
  current: CoordinationRecord | null,
  target: Target,
  input: { runId: string; fencingToken?: number; requireExisting?: boolean },
): OperationResult<OwnershipStatus> {
  const runId = normalizeRunId(input.runId);
  if (!current?.activeRun) {
    if (!input.requireExisting) {
      const record = current ?? emptyRecord(target);
      return ok('no_owner_record', target, runId, record);
    }
    return conflict(
      'ownership_missing',
      `Target ${target.key} has no active runner ownership record for run ${runId}.`,
      target,
      runId,
      current,
    );
  }
  const active = current.activeRun;
  if (active.runId !== runId) {
    return conflict(
      'ownership_lost',
      `Target ${target.key} is now owned by run ${active.runId}; run ${runId} must stop.`,
      target,
      runId,
      current,
    );
  }
  if (input.fencingToken !== undefined && highestToken(current) > input.fencingToken) {
    return conflict(
      'ownership_lost',
      `Target ${target.key} has a newer fencing token (${highestToken(current)}) than run ${runId}'s ${input.fencingToken}; it must stop.`,
      target,
      runId,
      current,
    );
  }
  return ok('owner_confirmed', target, runId, current);
}

/**
 * Releases the target when `runId` owns it.
 *
 * @param current - the record as read, `null` when the target has none.
 * @param target - the parsed target.
 * @param runIdInput - the owning run.
 * @param nowMs - the time, Unix ms.
 * @returns the record to write (`null` when nothing changes) and `released`,
 *   `release_noop` (no record), or `ownership_lost`.
 * @throws {CoordinationError} `ERR_INVALID_RUN_ID` for an empty run id.
 */
export function applyRelease(
  current: CoordinationRecord | null,
  target: Target,
  runIdInput: string,
  nowMs: number,
): { next: CoordinationRecord | null; result: OperationResult<ReleaseStatus> } {
  const runId = normalizeRunId(runIdInput);
  if (!current) {
    return { next: null, result: ok('release_noop', target, runId, emptyRecord(target)) };
  }
  if (current.activeRun?.runId !== runId) {
    return {
      next: null,
      result: conflict(
        'ownership_lost',
        current.activeRun
          ? `Cannot release ${target.key}: active owner is ${current.activeRun.runId}, not ${runId}.`
          : `Cannot release ${target.key}: no active owner record remains for ${runId}.`,
        target,
        runId,
        current,
      ),
    };
  }
  const now = new Date(nowMs).toISOString();
  const releaseEntry: HistoryEntry = { type: 'release', runId, at: now };
  if (current.activeRun.fencingToken !== undefined)
    releaseEntry.fencingToken = current.activeRun.fencingToken;
  const next: CoordinationRecord = {
    ...current,
    activeRun: null,
    lastFencingToken: highestToken(current),
    previousRun: { runId, replacedAt: now, replacedByRunId: null },
    history: [...current.history, releaseEntry],
  };
  return { next, result: ok('released', target, runId, next) };
}

/**
 * Records why a run stopped (reason trimmed, at most 500 characters, as
 * dev-loops does). With `requireActiveOwner` (default true) only the owner may.
 *
 * @param current - the record as read, `null` when the target has none.
 * @param target - the parsed target.
 * @param input - run id, reason, `requireActiveOwner`.
 * @param nowMs - the time, Unix ms.
 * @returns the record to write (`null` on a conflict) and `exit_signal_recorded`,
 *   or `ownership_lost` / `ownership_missing`.
 * @throws {CoordinationError} `ERR_INVALID_RUN_ID` for an empty run id.
 */
export function applyExitSignal(
  current: CoordinationRecord | null,
  target: Target,
  input: { runId: string; reason?: string; requireActiveOwner?: boolean },
  nowMs: number,
): { next: CoordinationRecord | null; result: OperationResult<'exit_signal_recorded'> } {
  const runId = normalizeRunId(input.runId);
  if (!current) {
    return {
      next: null,
      result: conflict(
        'ownership_missing',
        `Cannot record exit signal: ${target.key} has no runner coordination record.`,
        target,
        runId,
        null,
      ),
    };
  }
  if ((input.requireActiveOwner ?? true) && current.activeRun?.runId !== runId) {
    return {
      next: null,
      result: conflict(
        'ownership_lost',
        current.activeRun
          ? `Cannot record exit signal: ${target.key} is owned by ${current.activeRun.runId}, not ${runId}.`
          : `Cannot record exit signal: ${target.key} no longer has an active owner.`,
        target,
        runId,
        current,
      ),
    };
  }
  const reason =
    typeof input.reason === 'string' && input.reason.trim()
      ? input.reason.trim().slice(0, 500)
      : null;
  const next: CoordinationRecord = {
    ...current,
    exitSignals: [...current.exitSignals, { runId, at: new Date(nowMs).toISOString(), reason }],
  };
  return { next, result: ok('exit_signal_recorded', target, runId, next) };
}

/**
 * Keeps a record's history and exit signals to their last `limit` entries and
 * returns the older ones, for the store to move to its archive (never dropped).
 *
 * @param record - the record about to be written.
 * @param limit - entries kept of each list; {@link DEFAULT_HISTORY_LIMIT} by default.
 * @returns the bounded record and what was moved out of it, oldest first.
 * @throws {CoordinationError} `ERR_INVALID_OPTION` when `limit` is not a positive integer.
 */
export function boundRecord(
  record: CoordinationRecord,
  limit: number = DEFAULT_HISTORY_LIMIT,
): { record: CoordinationRecord; history: HistoryEntry[]; exitSignals: ExitSignal[] } {
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new CoordinationError({
      code: 'ERR_INVALID_OPTION',
      message: `Invalid history limit ${JSON.stringify(limit)}: use a positive whole number.`,
    });
  }
  const history = record.history.length > limit ? record.history.slice(0, -limit) : [];
  const exitSignals = record.exitSignals.length > limit ? record.exitSignals.slice(0, -limit) : [];
  if (history.length === 0 && exitSignals.length === 0) return { record, history, exitSignals };
  return {
    record: {
      ...record,
      lastFencingToken: highestToken(record),
      history: record.history.slice(-limit),
      exitSignals: record.exitSignals.slice(-limit),
    },
    history,
    exitSignals,
  };
}
