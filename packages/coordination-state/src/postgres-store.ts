import { createHash } from 'node:crypto';
import { verifyIdentity } from '@runwarden/process-identity';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { CommitmentOperations } from './commitment-store.js';
import { CoordinationError } from './errors.js';
import {
  assertOwnershipOn,
  type ClaimInput,
  type ClaimStatus,
  DEFAULT_HISTORY_LIMIT,
  normalizeRunId,
  type OperationResult,
  type OwnershipStatus,
  type ReleaseStatus,
} from './operations.js';
import { PostgresCommitments } from './postgres-commitments.js';
import { DATABASE_URL_ENV, describeUrl, translatePostgresError } from './postgres-errors.js';
import {
  claimOnServer,
  exitSignalOnServer,
  type OperationContext,
  type OperationRow,
  operationStatement,
  refreshOnServer,
  releaseOnServer,
  type ServerOperation,
} from './postgres-operations.js';
import {
  DEFAULT_POSTGRES_SCHEMA,
  POSTGRES_SCHEMA_VERSION,
  postgresMigrations,
  quoteSchema,
} from './postgres-schema.js';
import {
  type ArchivedEntry,
  type CoordinationRecord,
  coordinationRecordSchema,
  type HistoryEntry,
  SUPPORTED_SCHEMA_VERSIONS,
} from './schema.js';
import type {
  AssertOwnershipInput,
  CoordinationStore,
  ExitSignalInput,
  ListedTarget,
  StoreOptions,
} from './store.js';
import { parseTarget } from './target.js';

export { DATABASE_URL_ENV } from './postgres-errors.js';

/** Options for {@link PostgresStore}. */
export interface PostgresStoreOptions extends StoreOptions {
  /**
   * A libpq connection URL (`postgres://user:pass@host:5432/db`, or
   * `postgres:///db?host=/run/postgresql` for a socket).
   * @default process.env.RUNWARDEN_DATABASE_URL
   */
  connectionString?: string;
  /** A pool you own (node-postgres `pg.Pool`); `close()` leaves it open. @default a pool of its own */
  pool?: Pool;
  /** The schema the tables live in. @default 'runwarden' */
  schema?: string;
  /**
   * Connections in the pool: size it for the operations this process runs at
   * once (each operation holds a connection for one round trip only).
   * @default 10
   */
  maxConnections?: number;
  /** How long to wait for a connection before `ERR_DATABASE_UNREACHABLE`, in ms. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * How long to wait for another writer of the same target (its row lock,
   * PostgreSQL's `lock_timeout`) before `ERR_STORE_BUSY`, in ms.
   * @default 30000
   */
  lockWaitMs?: number;
  /** Longest a statement may run (PostgreSQL's `statement_timeout`), in ms. @default 60000 */
  statementTimeoutMs?: number;
  /** How long an idle connection stays in the pool, in ms. @default 10000 */
  idleTimeoutMs?: number;
}

/** What {@link PostgresStore.migrate} did. */
export interface MigrationResult {
  /** The versions applied by this call (empty when the schema was current). */
  applied: number[];
  /** The schema version now in the database. */
  version: number;
  /** The schema migrated. */
  schema: string;
}

/**
 * Rolls a failed transaction back. A rollback that fails too leaves the
 * connection in an unknown state: its error is returned so the caller
 * releases the connection as broken (the pool then discards it).
 */
async function rollback(client: PoolClient): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch (rollbackError) {
    return rollbackError as Error;
  }
}

/**
 * The store for fleets: a PostgreSQL database (driver `pg`) that many machines
 * share. One row per target (`coordination_targets`) plus a history table.
 * Every operation is one round trip: a prepared statement that calls a
 * PL/pgSQL function of the schema (`coordination_claim`, …, installed by
 * migration 2), which locks the target's row (`SELECT … FOR UPDATE`; a first
 * claim inserts the row with `INSERT … ON CONFLICT DO NOTHING` first, so two
 * first claims queue on it; a conflicting claim is answered from a plain read,
 * without the lock), decides, and writes the row, the new history entry and
 * any archive move in the same statement's transaction, so the lock is held
 * only while the server runs the function. The store then replays the same
 * pure function as {@link FileStore} on the row as the server saw it, for the
 * result (and refuses to answer if the two disagree). Fencing tokens come from
 * the row's `fencing_token` column. Leases are judged by the server's clock
 * (`clock_timestamp()`), so machines with skewed clocks agree. Create the
 * tables first with {@link PostgresStore.migrate} (`runwarden db migrate`).
 *
 * @example
 * ```ts
 * const store = new PostgresStore({ connectionString: 'postgres://runwarden@db/fleet' });
 * await store.migrate();
 * const claim = await store.claim('acme/widgets#12', { runId: 'run-1', leaseMs: 60_000 });
 * await store.close();
 * ```
 */
export class PostgresStore extends CommitmentOperations implements CoordinationStore {
  /** The schema the tables live in. */
  readonly schema: string;
  private readonly quoted: string;
  private readonly options: PostgresStoreOptions;
  private readonly historyLimit: number;
  private readonly verifyOwner: NonNullable<StoreOptions['verifyOwner']>;
  private poolPromise: Promise<Pool> | undefined;
  private readonly ownsPool: boolean;
  private readonly where: string;
  /** Names of the prepared statements, unique per schema (a given pool may serve several). */
  private readonly statementNames: Record<ServerOperation | 'owner', string>;
  private readonly statementTexts: Record<ServerOperation, string>;
  private readonly context: OperationContext;

  /**
   * Creates the store; no connection is made until the first operation.
   *
   * @param options - connection URL or pool, schema, pool size, timeouts, clock, history limit, owner verifier.
   * @throws {CoordinationError} `ERR_INVALID_OPTION` when there is neither a URL nor a pool, or an option is out of range.
   */
  constructor(options: PostgresStoreOptions = {}) {
    super();
    this.options = options;
    this.schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    this.quoted = quoteSchema(this.schema);
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.verifyOwner = options.verifyOwner ?? verifyIdentity;
    this.ownsPool = options.pool === undefined;
    if (!Number.isInteger(this.historyLimit) || this.historyLimit <= 0) {
      throw new CoordinationError({
        code: 'ERR_INVALID_OPTION',
        message: `Invalid history limit ${JSON.stringify(options.historyLimit)}: use a positive whole number.`,
      });
    }
    const url = options.connectionString ?? process.env[DATABASE_URL_ENV];
    if (!options.pool && !url) {
      throw new CoordinationError({
        code: 'ERR_INVALID_OPTION',
        message: `No PostgreSQL connection: pass a connection URL or set ${DATABASE_URL_ENV}.`,
        hint: `e.g. ${DATABASE_URL_ENV}=postgres://user@host:5432/db`,
      });
    }
    this.where = options.pool ? 'the given pool' : describeUrl(url!);
    const tag = createHash('sha256').update(this.schema).digest('hex').slice(0, 16);
    this.statementNames = {
      claim: `runwarden_claim_${tag}`,
      refresh: `runwarden_refresh_${tag}`,
      release: `runwarden_release_${tag}`,
      exitSignal: `runwarden_exit_signal_${tag}`,
      owner: `runwarden_owner_${tag}`,
    };
    this.statementTexts = {
      claim: operationStatement(this.quoted, 'claim'),
      refresh: operationStatement(this.quoted, 'refresh'),
      release: operationStatement(this.quoted, 'release'),
      exitSignal: operationStatement(this.quoted, 'exitSignal'),
    };
    if (options.pool) this.poolPromise = Promise.resolve(options.pool);
    this.context = {
      schema: this.schema,
      where: this.where,
      historyLimit: this.historyLimit,
      verifyOwner: this.verifyOwner,
      now: options.now,
      call: (operation, values) => this.call(operation, values),
      parse: (key, row) => this.toRecord(key, row, []),
    };
  }

  private pool(): Promise<Pool> {
    this.poolPromise ??= import('pg').then((module) => {
      const pg = module.default ?? module;
      const pool = new pg.Pool({
        connectionString: this.options.connectionString ?? process.env[DATABASE_URL_ENV],
        max: this.options.maxConnections ?? 10,
        connectionTimeoutMillis: this.options.connectTimeoutMs ?? 5000,
        idleTimeoutMillis: this.options.idleTimeoutMs ?? 10_000,
        lock_timeout: this.options.lockWaitMs ?? 30_000,
        statement_timeout: this.options.statementTimeoutMs ?? 60_000,
        idle_in_transaction_session_timeout: 60_000,
        application_name: 'runwarden',
      });
      // An idle connection that the server drops must not crash the process:
      // the next checkout gets a fresh one.
      pool.on('error', () => undefined);
      return pool;
    });
    return this.poolPromise;
  }

  private async connect(): Promise<PoolClient> {
    const pool = await this.pool();
    try {
      return await pool.connect();
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): unknown {
    return translatePostgresError(error, { where: this.where, schema: this.schema });
  }

  private async transaction<R>(work: (client: PoolClient) => Promise<R>): Promise<R> {
    const client = await this.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      broken = await rollback(client);
      throw this.translate(error);
    } finally {
      client.release(broken);
    }
  }

  /**
   * Creates or upgrades the tables (idempotent; concurrent callers queue on an
   * advisory lock). `runwarden db migrate` calls it.
   *
   * @returns the versions applied and the version now in place.
   * @throws {CoordinationError} `ERR_DATABASE_UNREACHABLE`, or `ERR_INVALID_STATE` when the database holds a newer schema than this package knows.
   */
  async migrate(): Promise<MigrationResult> {
    const s = this.quoted;
    return this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `runwarden.coordination.${this.schema}`,
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
          message: `PostgreSQL schema ${this.schema} at ${this.where} is at version ${newest}, newer than this runwarden knows (${POSTGRES_SCHEMA_VERSION}). It was left as it is.`,
          hint: 'Upgrade runwarden on this machine.',
        });
      }
      const applied: number[] = [];
      for (const migration of postgresMigrations(this.schema)) {
        if (have.has(migration.version)) continue;
        for (const statement of migration.statements) await client.query(statement);
        await client.query(`INSERT INTO ${s}.coordination_migrations (version) VALUES ($1)`, [
          migration.version,
        ]);
        applied.push(migration.version);
      }
      return { applied, version: Math.max(newest, ...applied), schema: this.schema };
    });
  }

  private toRecord(
    key: string,
    row: { record: unknown; fencing_token: string },
    history: unknown[],
  ) {
    const candidate = {
      ...(row.record as object),
      history,
      lastFencingToken: Number(row.fencing_token),
    };
    const version = (candidate as { schemaVersion?: unknown }).schemaVersion;
    const parsed = coordinationRecordSchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const detail = !SUPPORTED_SCHEMA_VERSIONS.includes(version as 1 | 2)
        ? `its schemaVersion ${JSON.stringify(version)} is not one of ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}`
        : `${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}`;
      throw new CoordinationError({
        code: 'ERR_INVALID_STATE',
        message: `Coordination row ${this.schema}.coordination_targets[${key}] is unusable: ${detail}. It was left exactly as it was.`,
        path: `${this.schema}.coordination_targets/${key}`,
        hint: 'Inspect the row; delete it (or restore it from a backup) to let runs claim this target again.',
      });
    }
    return parsed.data;
  }

  /** Runs one operation's function: one prepared statement, one round trip. */
  private async call(operation: ServerOperation, values: unknown[]): Promise<OperationRow> {
    const pool = await this.pool();
    try {
      const result = await pool.query<OperationRow>({
        name: this.statementNames[operation],
        text: this.statementTexts[operation],
        values,
      });
      return result.rows[0]!;
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** {@inheritDoc CoordinationStore.claim} */
  async claim(target: string, input: ClaimInput): Promise<OperationResult<ClaimStatus>> {
    return claimOnServer(this.context, target, input);
  }

  /** {@inheritDoc CoordinationStore.refresh} */
  async refresh(target: string, runId: string): Promise<OperationResult<'refreshed'>> {
    return refreshOnServer(this.context, target, runId);
  }

  /** {@inheritDoc CoordinationStore.assertOwnership} */
  async assertOwnership(
    target: string,
    input: AssertOwnershipInput,
  ): Promise<OperationResult<OwnershipStatus>> {
    const parsed = parseTarget(target);
    normalizeRunId(input.runId);
    const pool = await this.pool();
    let rows: { record: unknown; fencing_token: string }[];
    try {
      rows = (
        await pool.query<{ record: unknown; fencing_token: string }>({
          name: this.statementNames.owner,
          text: `SELECT record, fencing_token FROM ${this.quoted}.coordination_targets WHERE target = $1`,
          values: [parsed.key],
        })
      ).rows;
    } catch (error) {
      throw this.translate(error);
    }
    const current = rows[0] ? this.toRecord(parsed.key, rows[0], []) : null;
    return assertOwnershipOn(current, parsed, input);
  }

  /** {@inheritDoc CoordinationStore.release} */
  async release(target: string, runId: string): Promise<OperationResult<ReleaseStatus>> {
    return releaseOnServer(this.context, target, runId);
  }

  /** {@inheritDoc CoordinationStore.recordExitSignal} */
  async recordExitSignal(
    target: string,
    input: ExitSignalInput,
  ): Promise<OperationResult<'exit_signal_recorded'>> {
    return exitSignalOnServer(this.context, target, input);
  }

  private async read(key: string, historyLimit: number): Promise<CoordinationRecord | null> {
    const rows = await this.select(`WHERE t.target = $2`, [historyLimit, key]);
    return rows[0]?.record ?? null;
  }

  private async select(where: string, parameters: unknown[]): Promise<ListedTarget[]> {
    const pool = await this.pool();
    let result: {
      rows: { target: string; record: unknown; fencing_token: string; history: unknown[] }[];
    };
    try {
      result = await pool.query(
        `SELECT t.target, t.record, t.fencing_token,
                COALESCE((SELECT jsonb_agg(h.entry ORDER BY h.seq)
                            FROM (SELECT seq, entry FROM ${this.quoted}.coordination_history
                                   WHERE target = t.target ORDER BY seq DESC LIMIT $1) h), '[]'::jsonb) AS history
           FROM ${this.quoted}.coordination_targets t ${where}
          ORDER BY t.target`,
        parameters,
      );
    } catch (error) {
      throw this.translate(error);
    }
    return result.rows.map((row) => ({
      target: row.target,
      record: this.toRecord(row.target, row, row.history),
    }));
  }

  /** {@inheritDoc CoordinationStore.get} */
  async get(target: string): Promise<CoordinationRecord | null> {
    return this.read(parseTarget(target).key, this.historyLimit);
  }

  /** {@inheritDoc CoordinationStore.list} */
  async list(): Promise<ListedTarget[]> {
    return this.select('', [this.historyLimit]);
  }

  /** {@inheritDoc CoordinationStore.archived} */
  async archived(target: string): Promise<ArchivedEntry[]> {
    const key = parseTarget(target).key;
    const pool = await this.pool();
    const s = this.quoted;
    try {
      // Rows still in the history table beyond the limit are archived too,
      // from the reader's point of view: get() no longer returns them.
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
        [key, this.historyLimit],
      );
      return result.rows.map((row) => ({
        kind: row.kind,
        target: key,
        archivedAt: new Date(row.archived_at).toISOString(),
        entry: row.entry,
      }));
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** Ends the pool's connections (unless the pool was given); the store cannot be used afterwards. */
  async close(): Promise<void> {
    if (!this.ownsPool || !this.poolPromise) return;
    const pool = await this.poolPromise;
    await pool.end();
  }

  private commitmentRows: PostgresCommitments | undefined;

  /** The commitments' backend, the `commitments` table ({@link PostgresCommitments}), through this store's transactions. */
  protected commitmentBackend(): PostgresCommitments {
    this.commitmentRows ??= new PostgresCommitments({
      schema: this.schema,
      quoted: this.quoted,
      transaction: (work) => this.transaction(work),
      now: this.options.now,
    });
    return this.commitmentRows;
  }
}
