import { CoordinationError } from './errors.js';
import { coordinationBatchFunction } from './postgres-batch-function.js';
import { commitmentsMigration } from './postgres-commitments.js';
import { coordinationFunctions } from './postgres-functions.js';

/** The newest migration this version of the package knows. */
export const POSTGRES_SCHEMA_VERSION = 4;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Validates and quotes a PostgreSQL schema name.
 *
 * @param schema - a lower-case identifier (letters, digits, `_`, at most 63 characters).
 * @returns the name in double quotes, safe to put into SQL.
 * @throws {CoordinationError} `ERR_INVALID_OPTION` for any other name.
 */
export function quoteSchema(schema: string): string {
  if (!IDENTIFIER.test(schema)) {
    throw new CoordinationError({
      code: 'ERR_INVALID_OPTION',
      message: `Invalid PostgreSQL schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _ (at most 63).`,
    });
  }
  return `"${schema}"`;
}

/**
 * The migrations, in order: each a version and the statements that create it.
 * Version 1: one row per target (`coordination_targets`: the record without
 * its history, the active run id, the highest fencing token, the history
 * sequence), the recent history (`coordination_history`, one row per entry),
 * and the archive (`coordination_archive`) that older history entries and exit
 * signals move to. Version 2: the `commitments` table ({@link commitmentsMigration}).
 * Version 3: the PL/pgSQL functions that make each operation one round trip
 * (`postgres-functions.ts`); the tables stay as they are, so a database at
 * version 1 or 2 upgrades in place. Version 4: `coordination_batch`, several
 * operations in one statement (`postgres-batch-function.ts`).
 *
 * @param schema - the schema name (validated by {@link quoteSchema}).
 * @returns the migrations, oldest first.
 * @throws {CoordinationError} `ERR_INVALID_OPTION` for a bad schema name.
 */
export function postgresMigrations(schema: string): { version: number; statements: string[] }[] {
  const s = quoteSchema(schema);
  return [
    {
      version: 1,
      statements: [
        `CREATE TABLE ${s}.coordination_targets (
          target text PRIMARY KEY,
          record jsonb NOT NULL,
          active_run_id text,
          fencing_token bigint NOT NULL DEFAULT 0 CHECK (fencing_token >= 0),
          history_seq bigint NOT NULL DEFAULT 0,
          archived_seq bigint NOT NULL DEFAULT 0,
          updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
        )`,
        `CREATE TABLE ${s}.coordination_history (
          target text NOT NULL REFERENCES ${s}.coordination_targets (target) ON DELETE CASCADE,
          seq bigint NOT NULL,
          entry jsonb NOT NULL,
          PRIMARY KEY (target, seq)
        )`,
        `CREATE TABLE ${s}.coordination_archive (
          id bigserial PRIMARY KEY,
          target text NOT NULL,
          kind text NOT NULL CHECK (kind IN ('history', 'exitSignal')),
          seq bigint,
          entry jsonb NOT NULL,
          archived_at timestamptz NOT NULL DEFAULT clock_timestamp()
        )`,
        `CREATE INDEX coordination_archive_target ON ${s}.coordination_archive (target, id)`,
      ],
    },
    { version: 2, statements: commitmentsMigration(s) },
    { version: 3, statements: coordinationFunctions(s) },
    { version: 4, statements: coordinationBatchFunction(s) },
  ];
}
