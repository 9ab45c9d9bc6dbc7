import type { IdentityVerdict, ProcessIdentity } from '@runwarden/process-identity';
import { CoordinationError } from './errors.js';
import {
  type ActiveRun,
  COORDINATION_SCHEMA_VERSION,
  type CoordinationRecord,
  type ExitSignal,
  type PreviousRun,
} from './schema.js';
import type { Target } from './target.js';

/** Statuses of a successful claim. */
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

/** A successful operation. */
export interface OperationOk<S extends string> {
  ok: true;
  status: S;
  target: string;
  runId: string;
  activeRun: ActiveRun | null;
  previousRun: PreviousRun | null;
  exitSignals: ExitSignal[];
  /** The fencing token of the active run, when it has one. */
  fencingToken?: number;
}

/** A refused operation: nothing was written. */
export interface OperationConflict {
  ok: false;
  error: ConflictCode;
  message: string;
  target: string;
  runId: string;
  activeRun: ActiveRun | null;
  exitSignals: ExitSignal[];
}

/** Any result. */
export type OperationResult<S extends string> = OperationOk<S> | OperationConflict;

/** Input of a claim. */
export interface ClaimInput {
  runId: string;
  /** `takeover` replaces a live owner; `claim` fails closed on one. @default 'claim' */
  mode?: 'claim' | 'takeover';
  /** The owning process, recorded so a dead owner can be claimed at once. */
  owner?: ProcessIdentity;
  /** Lease length in ms. @default 300000 */
  leaseMs?: number;
}

/** Facts a claim decides from: the current owner's identity verdict. */
export interface ClaimFacts {
  ownerVerdict?: IdentityVerdict;
}

/** The default lease, in ms (5 minutes, refreshed by the heartbeat). */
export const DEFAULT_LEASE_MS = 300_000;

/** Validates a run id. @throws {CoordinationError} `ERR_INVALID_RUN_ID` when empty. */
export function normalizeRunId(runId: unknown): string {
  if (typeof runId !== 'string' || runId.trim().length === 0) {
    throw new CoordinationError('ERR_INVALID_RUN_ID', 'A non-empty run id is required.');
  }
  return runId.trim();
}

/** A fresh record for a target with no owner. */
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

/** The highest token ever issued for the record (counter or the active run's). */
function highestToken(record: CoordinationRecord): number {
  return Math.max(record.lastFencingToken ?? 0, record.activeRun?.fencingToken ?? 0);
}

/** Is the active run's lease past `updatedAt + leaseMs`? */
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
 *
 * @returns the record to write (`null` when nothing changes) and the result.
 */
export function applyClaim(
  current: CoordinationRecord | null,
  target: Target,
  input: ClaimInput,
  facts: ClaimFacts,
  nowMs: number,
): { next: CoordinationRecord | null; result: OperationResult<ClaimStatus> } {
  const runId = normalizeRunId(input.runId);
  const now = new Date(nowMs).toISOString();
  const record = current ?? emptyRecord(target);
  const active = record.activeRun;
  const leaseMs = input.leaseMs ?? DEFAULT_LEASE_MS;
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
    const next: CoordinationRecord = {
      ...record,
      activeRun: {
        ...active,
        claimedAt: active.claimedAt ?? now,
        updatedAt: now,
        leaseMs: input.leaseMs ?? active.leaseMs ?? leaseMs,
      },
      history: [...record.history, { type: 'refresh', runId, at: now }],
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
 * Refreshes the lease of the owning run (the heartbeat).
 * @returns `refreshed`, or `ownership_lost` / `ownership_missing`.
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
 * @returns `owner_confirmed`, `no_owner_record` (unless `requireExisting`), or
 *   `ownership_lost` (another run, or a newer token) / `ownership_missing`.
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
 * @returns `released`, `release_noop` (no record), or `ownership_lost`.
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
  const next: CoordinationRecord = {
    ...current,
    activeRun: null,
    lastFencingToken: highestToken(current),
    previousRun: { runId, replacedAt: now, replacedByRunId: null },
    history: [...current.history, { type: 'release', runId, at: now }],
  };
  return { next, result: ok('released', target, runId, next) };
}

/**
 * Records why a run stopped. With `requireActiveOwner` (default) only the owner may.
 * @returns `exit_signal_recorded`, or `ownership_lost` / `ownership_missing`.
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
