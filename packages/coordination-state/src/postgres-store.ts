import { verifyIdentity } from '@runwarden/process-identity';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { CommitmentOperations } from './commitment-store.js';
import { CoordinationError } from './errors.js';
import {
  applyClaim,
  applyExitSignal,
  applyRefresh,
  applyRelease,
  assertOwnershipOn,
  type ClaimInput,
  type ClaimStatus,
  DEFAULT_HISTORY_LIMIT,
  emptyRecord,
  highestToken,
  normalizeLeaseMs,
  normalizeRunId,
  type OperationResult,
  type OwnershipStatus,
  type ReleaseStatus,
} from './operations.js';
import { PostgresCommitments } from './postgres-commitments.js';
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
import { parseTarget, type Target } from './target.js';

/** The environment variable the PostgreSQL connection URL is read from. */
export const DATABASE_URL_ENV = 'RUNWARDEN_DATABASE_URL';

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
  /** Connections in the pool. @default 10 */
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

interface TargetRow {
  record: unknown;
  fencing_token: string;
  history_seq: string;
  archived_seq: string;
  now_ms: number;
}

/** How many history rows above the limit are left before they are moved in one go. */
const ARCHIVE_BATCH = 20;

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
 * share. One row per target (`coordination_targets`) plus a history table;
 * every operation is one transaction that locks the target's row
 * (`SELECT … FOR UPDATE`; a first claim inserts the row with
 * `INSERT … ON CONFLICT DO NOTHING` first, so two first claims queue on it),
 * decides with the same pure functions as {@link FileStore}, and writes the
 * row, the new history entry and any archive move together. Fencing tokens
 * come from the row's `fencing_token` column. Leases are judged by the
 * server's clock (`clock_timestamp()`), so machines with skewed clocks agree.
 * Create the tables first with {@link PostgresStore.migrate} (`runwarden db migrate`).
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
      throw new CoordinationError(
        'ERR_INVALID_OPTION',
        `Invalid history limit ${JSON.stringify(options.historyLimit)}: use a positive whole number.`,
      );
    }
    const url = options.connectionString ?? process.env[DATABASE_URL_ENV];
    if (!options.pool && !url) {
      throw new CoordinationError(
        'ERR_INVALID_OPTION',
        `No PostgreSQL connection: pass a connection URL or set ${DATABASE_URL_ENV}.`,
        { hint: `e.g. ${DATABASE_URL_ENV}=postgres://user@host:5432/db` },
      );
    }
    this.where = options.pool ? 'the given pool' : describeUrl(url!);
    if (options.pool) this.poolPromise = Promise.resolve(options.pool);
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
    if (CoordinationError.isInstance(error)) return error;
    const code = (error as { code?: string }).code;
    const message = (error as Error)?.message ?? String(error);
    const unreachable =
      (code !== undefined &&
        ([
          'ECONNREFUSED',
          'ENOTFOUND',
          'EAI_AGAIN',
          'ETIMEDOUT',
          'ECONNRESET',
          'EHOSTUNREACH',
          'ENOENT',
        ].includes(code) ||
          code.startsWith('08') ||
          code === '57P01' ||
          code === '57P03')) ||
      /timeout exceeded when trying to connect|Connection terminated/i.test(message);
    if (unreachable) {
      return new CoordinationError(
        'ERR_DATABASE_UNREACHABLE',
        `PostgreSQL at ${this.where} is unreachable: ${message}.`,
        {
          cause: error,
          hint: `Check that the server runs and the URL (--database-url or ${DATABASE_URL_ENV}) is right.`,
        },
      );
    }
    if (code === '42P01' || code === '3F000') {
      return new CoordinationError(
        'ERR_SCHEMA_MISSING',
        `PostgreSQL at ${this.where} has no runwarden coordination tables in schema ${this.schema}.`,
        { cause: error, hint: 'Create them once with `runwarden db migrate --database-url URL`.' },
      );
    }
    if (code === '55P03') {
      return new CoordinationError(
        'ERR_STORE_BUSY',
        `Another writer held the target's row at ${this.where} for longer than the lock timeout.`,
        { cause: error, hint: 'Retry; a writer that holds a row this long is stuck.' },
      );
    }
    if (code === '28P01' || code === '28000') {
      return new CoordinationError(
        'ERR_DATABASE_UNREACHABLE',
        `PostgreSQL at ${this.where} refused the login: ${message}.`,
        { cause: error, hint: 'Check the user and password in the connection URL.' },
      );
    }
    return new CoordinationError('ERR_DATABASE', `PostgreSQL at ${this.where}: ${message}`, {
      cause: error,
    });
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
        throw new CoordinationError(
          'ERR_INVALID_STATE',
          `PostgreSQL schema ${this.schema} at ${this.where} is at version ${newest}, newer than this runwarden knows (${POSTGRES_SCHEMA_VERSION}). It was left as it is.`,
          { hint: 'Upgrade runwarden on this machine.' },
        );
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

  private selectForUpdate(client: PoolClient, key: string): string {
    return `SELECT record, fencing_token, history_seq, archived_seq,
              (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms
         FROM ${this.quoted}.coordination_targets WHERE target = ${client.escapeLiteral(key)} FOR UPDATE`;
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
      throw new CoordinationError(
        'ERR_INVALID_STATE',
        `Coordination row ${this.schema}.coordination_targets[${key}] is unusable: ${detail}. It was left exactly as it was.`,
        {
          path: `${this.schema}.coordination_targets/${key}`,
          hint: 'Inspect the row; delete it (or restore it from a backup) to let runs claim this target again.',
        },
      );
    }
    return parsed.data;
  }

  /**
   * One operation, one transaction, two round trips: `BEGIN` and the row lock
   * go together, and so do the write and `COMMIT` (simple-query batches, the
   * values quoted by the driver's `escapeLiteral`). A first claim adds one.
   */
  private async mutate<R>(
    targetInput: string,
    createRow: boolean,
    apply: (
      current: CoordinationRecord | null,
      target: Target,
      nowMs: number,
    ) => { next: CoordinationRecord | null; result: R },
  ): Promise<R> {
    const target = parseTarget(targetInput);
    const s = this.quoted;
    const client = await this.connect();
    const lit = (value: string) => client.escapeLiteral(value);
    let broken: Error | undefined;
    try {
      const locked = (await client.query(
        `BEGIN; ${this.selectForUpdate(client, target.key)}`,
      )) as unknown as QueryResult<TargetRow>[];
      let row = locked[1]?.rows[0];
      if (!row && createRow) {
        // The first claim of a target: two of them queue on the new row's
        // unique key, and the loser then locks the winner's committed row.
        const inserted = (await client.query(
          `INSERT INTO ${s}.coordination_targets (target, record)
             VALUES (${lit(target.key)}, ${lit(JSON.stringify(withoutHistory(emptyRecord(target))))}::jsonb)
             ON CONFLICT (target) DO NOTHING;
           ${this.selectForUpdate(client, target.key)}`,
        )) as unknown as QueryResult<TargetRow>[];
        row = inserted[1]?.rows[0];
      }
      const current = row ? this.toRecord(target.key, row, []) : null;
      const nowMs = this.options.now ? this.options.now() : (row?.now_ms ?? Date.now());
      const { next, result } = apply(current, target, nowMs);
      if (!next || !row) {
        await client.query('COMMIT');
        return result;
      }
      const newEntries = next.history as HistoryEntry[];
      const previousSeq = Number(row.history_seq);
      const historySeq = previousSeq + newEntries.length;
      const archivedSeq = Number(row.archived_seq);
      const moveUpTo =
        historySeq - this.historyLimit - archivedSeq >= ARCHIVE_BATCH
          ? Math.min(historySeq - this.historyLimit, previousSeq)
          : archivedSeq;
      const signals = next.exitSignals;
      const movedSignals =
        signals.length > this.historyLimit ? signals.slice(0, -this.historyLimit) : [];
      const record = { ...withoutHistory(next), exitSignals: signals.slice(-this.historyLimit) };
      const key = lit(target.key);
      const int = (value: number) => String(integer(value));
      const statements = [
        `UPDATE ${s}.coordination_targets
            SET record = ${lit(JSON.stringify(record))}::jsonb,
                active_run_id = ${next.activeRun ? lit(next.activeRun.runId) : 'NULL'},
                fencing_token = ${int(highestToken({ ...next, history: newEntries }))},
                history_seq = ${int(historySeq)}, archived_seq = ${int(moveUpTo)},
                updated_at = clock_timestamp()
          WHERE target = ${key}`,
      ];
      if (newEntries.length > 0) {
        statements.push(
          `INSERT INTO ${s}.coordination_history (target, seq, entry)
           SELECT ${key}, ${int(previousSeq)} + e.ordinality, e.value
             FROM jsonb_array_elements(${lit(JSON.stringify(newEntries))}::jsonb) WITH ORDINALITY AS e`,
        );
      }
      if (moveUpTo > archivedSeq) {
        statements.push(
          `WITH moved AS (
             DELETE FROM ${s}.coordination_history
              WHERE target = ${key} AND seq > ${int(archivedSeq)} AND seq <= ${int(moveUpTo)}
             RETURNING seq, entry)
           INSERT INTO ${s}.coordination_archive (target, kind, seq, entry)
           SELECT ${key}, 'history', seq, entry FROM moved ORDER BY seq`,
        );
      }
      if (movedSignals.length > 0) {
        statements.push(
          `INSERT INTO ${s}.coordination_archive (target, kind, entry)
           SELECT ${key}, 'exitSignal', e.value
             FROM jsonb_array_elements(${lit(JSON.stringify(movedSignals))}::jsonb) WITH ORDINALITY AS e
            ORDER BY e.ordinality`,
        );
      }
      await client.query(`${statements.join(';\n')};\nCOMMIT`);
      return result;
    } catch (error) {
      broken = await rollback(client);
      throw this.translate(error);
    } finally {
      client.release(broken);
    }
  }

  /** {@inheritDoc CoordinationStore.claim} */
  async claim(target: string, input: ClaimInput): Promise<OperationResult<ClaimStatus>> {
    normalizeRunId(input.runId);
    normalizeLeaseMs(input.leaseMs);
    return this.mutate(target, true, (current, parsed, nowMs) => {
      const owner = current?.activeRun?.owner;
      const ownerVerdict = owner ? this.verifyOwner(owner) : undefined;
      return applyClaim(current, parsed, input, { ownerVerdict }, nowMs);
    });
  }

  /** {@inheritDoc CoordinationStore.refresh} */
  async refresh(target: string, runId: string): Promise<OperationResult<'refreshed'>> {
    normalizeRunId(runId);
    return this.mutate(target, false, (current, parsed, nowMs) =>
      applyRefresh(current, parsed, runId, nowMs),
    );
  }

  /** {@inheritDoc CoordinationStore.assertOwnership} */
  async assertOwnership(
    target: string,
    input: AssertOwnershipInput,
  ): Promise<OperationResult<OwnershipStatus>> {
    const parsed = parseTarget(target);
    normalizeRunId(input.runId);
    const current = await this.read(parsed.key, 0);
    return assertOwnershipOn(current, parsed, input);
  }

  /** {@inheritDoc CoordinationStore.release} */
  async release(target: string, runId: string): Promise<OperationResult<ReleaseStatus>> {
    normalizeRunId(runId);
    return this.mutate(target, false, (current, parsed, nowMs) =>
      applyRelease(current, parsed, runId, nowMs),
    );
  }

  /** {@inheritDoc CoordinationStore.recordExitSignal} */
  async recordExitSignal(
    target: string,
    input: ExitSignalInput,
  ): Promise<OperationResult<'exit_signal_recorded'>> {
    normalizeRunId(input.runId);
    return this.mutate(target, false, (current, parsed, nowMs) =>
      applyExitSignal(current, parsed, input, nowMs),
    );
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

function integer(value: number): number {
  if (!Number.isSafeInteger(value)) throw new Error(`not an integer: ${value}`);
  return value;
}

function withoutHistory(
  record: CoordinationRecord,
): Omit<CoordinationRecord, 'history' | 'lastFencingToken'> {
  const { history: _history, lastFencingToken: _token, ...rest } = record;
  return rest;
}

/** The URL for messages: host, port and database, never the password. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || parsed.searchParams.get('host') || 'localhost';
    return `${host}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname || ''}`;
  } catch {
    return 'the configured URL';
  }
}
