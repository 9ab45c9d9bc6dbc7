import {
  type ClaimFacts,
  type ClaimInput,
  normalizeLeaseMs,
  normalizeRunId,
} from './operation-input.js';
import {
  type ClaimStatus,
  conflict,
  type OperationResult,
  type OwnershipStatus,
  ok,
  type ReleaseStatus,
} from './operation-result.js';
import { emptyRecord, highestToken, leaseExpired } from './record-rules.js';
import type { ActiveRun, CoordinationRecord, HistoryEntry } from './schema.js';
import type { Target } from './target.js';
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
