/**
 * Reading PostgresStore rows: a target's row and its recent history as a
 * validated record (a corrupt or unknown row is an error naming it, left as
 * it is), every target, and a target's archive.
 */

import { english, firstIssue } from '@runwarden/zod-english';
import type { Pool } from 'pg';
import { CoordinationError } from './errors.js';
import {
  type ArchivedEntry,
  type CoordinationRecord,
  coordinationRecordSchema,
  type HistoryEntry,
  SUPPORTED_SCHEMA_VERSIONS,
} from './schema.js';
import type { ListedTarget } from './store.js';

/** A target's row as the reads select it. */
export interface TargetRow {
  record: unknown;
  fencing_token: string;
}

/**
 * The record of a target's row, validated.
 *
 * @param schema - the schema (for the error's path).
 * @param key - the target key.
 * @param row - the row's `record` and `fencing_token`.
 * @param history - its recent history entries, oldest first.
 * @returns the record.
 * @throws {CoordinationError} `ERR_INVALID_STATE` naming the row when it is not a record of a known version.
 */
export function rowToRecord(
  schema: string,
  key: string,
  row: TargetRow,
  history: unknown[],
): CoordinationRecord {
  const candidate = {
    ...(row.record as object),
    history,
    lastFencingToken: Number(row.fencing_token),
  };
  const version = (candidate as { schemaVersion?: unknown }).schemaVersion;
  const parsed = coordinationRecordSchema.safeParse(candidate, english());
  if (!parsed.success) {
    const detail = !SUPPORTED_SCHEMA_VERSIONS.includes(version as 1 | 2)
      ? `its schemaVersion ${JSON.stringify(version)} is not one of ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}`
      : firstIssue(parsed.error, 'record');
    throw new CoordinationError({
      code: 'ERR_INVALID_STATE',
      message: `Coordination row ${schema}.coordination_targets[${key}] is unusable: ${detail}. It was left exactly as it was.`,
      path: `${schema}.coordination_targets/${key}`,
      hint: 'Inspect the row; delete it (or restore it from a backup) to let runs claim this target again.',
    });
  }
  return parsed.data;
}

/** Where the reads run: the pool, the schema (plain and quoted), and how to translate a driver error. */
export interface RowSource {
  pool: () => Promise<Pool>;
  schema: string;
  quoted: string;
  translate: (error: unknown) => unknown;
}

/**
 * Targets with their records and their last `historyLimit` history entries.
 *
 * @param source - where to read.
 * @param where - a `WHERE` clause on `t` (`$2` onwards), or `''` for every target.
 * @param parameters - `$1` the history limit, then the clause's.
 * @returns the targets, by key.
 * @throws {CoordinationError} for a corrupt row or a database error.
 */
export async function selectTargets(
  source: RowSource,
  where: string,
  parameters: unknown[],
): Promise<ListedTarget[]> {
  const pool = await source.pool();
  let result: {
    rows: { target: string; record: unknown; fencing_token: string; history: unknown[] }[];
  };
  try {
    result = await pool.query(
      `SELECT t.target, t.record, t.fencing_token,
                COALESCE((SELECT jsonb_agg(h.entry ORDER BY h.seq)
                            FROM (SELECT seq, entry FROM ${source.quoted}.coordination_history
                                   WHERE target = t.target ORDER BY seq DESC LIMIT $1) h), '[]'::jsonb) AS history
           FROM ${source.quoted}.coordination_targets t ${where}
          ORDER BY t.target`,
      parameters,
    );
  } catch (error) {
    throw source.translate(error);
  }
  return result.rows.map((row) => ({
    target: row.target,
    record: rowToRecord(source.schema, row.target, row, row.history),
  }));
}

/**
 * A target's archive: the archive table, then history rows beyond the limit
 * (from the reader's point of view archived too: `get()` no longer returns them).
 *
 * @param source - where to read.
 * @param key - the target key.
 * @param historyLimit - the store's history limit.
 * @returns the entries, oldest first.
 * @throws {CoordinationError} for a database error.
 */
export async function selectArchived(
  source: RowSource,
  key: string,
  historyLimit: number,
): Promise<ArchivedEntry[]> {
  const pool = await source.pool();
  const s = source.quoted;
  try {
    const result = await pool.query<{
      kind: 'history' | 'exitSignal';
      archived_at: Date;
      entry: HistoryEntry;
    }>(
      `SELECT kind, archived_at, entry FROM (
           SELECT 0 AS part, id AS ord, kind, archived_at, entry
             FROM ${s}.coordination_archive WHERE target = $1
           UNION ALL
           SELECT 1, h.seq, 'history', t.updated_at, h.entry
             FROM ${s}.coordination_history h JOIN ${s}.coordination_targets t USING (target)
            WHERE h.target = $1 AND h.seq <= t.history_seq - $2
         ) a ORDER BY part, ord`,
      [key, historyLimit],
    );
    return result.rows.map((row) => ({
      kind: row.kind,
      target: key,
      archivedAt: new Date(row.archived_at).toISOString(),
      entry: row.entry,
    }));
  } catch (error) {
    throw source.translate(error);
  }
}
