import { COORDINATION_DEFAULTS } from './defaults.js';
import { positiveCount } from './operation-input.js';
import {
  type ActiveRun,
  COORDINATION_SCHEMA_VERSION,
  type CoordinationRecord,
  type ExitSignal,
  type HistoryEntry,
} from './schema.js';
import type { Target } from './target.js';
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
 * Keeps a record's history and exit signals to their last `limit` entries and
 * returns the older ones, for the store to move to its archive (never dropped).
 *
 * @param record - the record about to be written.
 * @param limit - entries kept of each list; `COORDINATION_DEFAULTS.historyLimit` (200) by default.
 * @returns the bounded record and what was moved out of it, oldest first.
 * @throws {CoordinationError} `ERR_INVALID_OPTION` when `limit` is not a positive integer.
 */
export function boundRecord(
  record: CoordinationRecord,
  limit?: number,
): { record: CoordinationRecord; history: HistoryEntry[]; exitSignals: ExitSignal[] } {
  const kept = positiveCount('history limit', limit, COORDINATION_DEFAULTS.historyLimit);
  const history = record.history.length > kept ? record.history.slice(0, -kept) : [];
  const exitSignals = record.exitSignals.length > kept ? record.exitSignals.slice(0, -kept) : [];
  if (history.length === 0 && exitSignals.length === 0) return { record, history, exitSignals };
  return {
    record: {
      ...record,
      lastFencingToken: highestToken(record),
      history: record.history.slice(-kept),
      exitSignals: record.exitSignals.slice(-kept),
    },
    history,
    exitSignals,
  };
}
