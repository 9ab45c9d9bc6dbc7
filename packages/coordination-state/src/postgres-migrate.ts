/**
 * `PostgresStore.migrate()`: creates or upgrades the tables and functions of
 * one schema, idempotently, concurrent callers queued on an advisory lock.
 */
import type { PoolClient } from 'pg';
import { CoordinationError } from './errors.js';
import { POSTGRES_SCHEMA_VERSION, postgresMigrations } from './postgres-schema.js';

/** What `PostgresStore.migrate` did. */
export interface MigrationResult {
  /** The versions applied by this call (empty when the schema was current). */
  applied: number[];
  /** The schema version now in the database. */
  version: number;
  /** The schema migrated. */
  schema: string;
}

/**
 * Applies the migrations a schema lacks, in one transaction.
 *
 * @param client - a connection inside a transaction.
 * @param place - the schema, its quoted form, and where the server is (for messages).
 * @returns the versions applied and the version now in place.
 * @throws {CoordinationError} `ERR_INVALID_STATE` when the database holds a newer schema than this package knows.
 */
export async function migrateSchema(
  client: PoolClient,
  place: { schema: string; quoted: string; where: string },
): Promise<MigrationResult> {
  const s = place.quoted;
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
    `runwarden.coordination.${place.schema}`,
  ]);
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
  await client.query(
    `CREATE TABLE IF NOT EXISTS ${s}.coordination_migrations (
          version integer PRIMARY KEY,
          applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
        )`,
  );
  const done = await client.query<{ version: number }>(
    `SELECT version FROM ${s}.coordination_migrations`,
  );
  const have = new Set(done.rows.map((row) => Number(row.version)));
  const newest = Math.max(0, ...have);
  if (newest > POSTGRES_SCHEMA_VERSION) {
    throw new CoordinationError({
      code: 'ERR_INVALID_STATE',
      message: `PostgreSQL schema ${place.schema} at ${place.where} is at version ${newest}, newer than this runwarden knows (${POSTGRES_SCHEMA_VERSION}). It was left as it is.`,
      hint: 'Upgrade runwarden on this machine.',
    });
  }
  const applied: number[] = [];
  for (const migration of postgresMigrations(place.schema)) {
    if (have.has(migration.version)) continue;
    for (const statement of migration.statements) await client.query(statement);
    await client.query(`INSERT INTO ${s}.coordination_migrations (version) VALUES ($1)`, [
      migration.version,
    ]);
    applied.push(migration.version);
  }
  return { applied, version: Math.max(newest, ...applied), schema: place.schema };
}
