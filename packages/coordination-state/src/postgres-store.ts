import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { type IdentityVerdict, verifyIdentity } from '@runwarden/process-identity';
import type { Pool, PoolClient } from 'pg';
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
  normalizeLeaseMs,
  normalizeRunId,
  type OperationResult,
  type OwnershipStatus,
  type ReleaseStatus,
} from './operations.js';
import { OPERATION_COLUMNS } from './postgres-functions.js';
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

/** The operations that run as one server-side function each, and their functions' parameter counts. */
const OPERATIONS = {
  claim: { name: 'coordination_claim', parameters: 12 },
  refresh: { name: 'coordination_refresh', parameters: 4 },
  release: { name: 'coordination_release', parameters: 4 },
  exitSignal: { name: 'coordination_exit_signal', parameters: 6 },
} as const;
type Operation = keyof typeof OPERATIONS;

/** What each operation's function returns (see `postgres-functions.ts`). */
interface OperationRow {
  o_outcome: string;
  o_record: unknown;
  o_token: string | null;
  o_now_ms: string;
}

/** The text of an operation's prepared statement. */
function operationStatement(quoted: string, operation: Operation): string {
  const { name, parameters } = OPERATIONS[operation];
  const placeholders = Array.from({ length: parameters }, (_, index) => `$${index + 1}`);
  return `SELECT ${OPERATION_COLUMNS} FROM ${quoted}.${name}(${placeholders.join(', ')})`;
}

/** How often a claim asks again after judging the recorded owner (which may change in between). */
const MAX_VERDICT_ROUNDS = 3;

/** The verdicts that free a target at once (`claimed_dead_owner`), as applyClaim reads them. */
function isDead(verdict: IdentityVerdict): boolean {
  return verdict.status === 'dead' || verdict.status === 'reused';
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
export class PostgresStore implements CoordinationStore {
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
  private readonly statementNames: Record<Operation | 'owner', string>;

  /**
   * Creates the store; no connection is made until the first operation.
   *
   * @param options - connection URL or pool, schema, pool size, timeouts, clock, history limit, owner verifier.
   * @throws {CoordinationError} `ERR_INVALID_OPTION` when there is neither a URL nor a pool, or an option is out of range.
   */
  constructor(options: PostgresStoreOptions = {}) {
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
    const tag = createHash('sha256').update(this.schema).digest('hex').slice(0, 16);
    this.statementNames = {
      claim: `runwarden_claim_${tag}`,
      refresh: `runwarden_refresh_${tag}`,
      release: `runwarden_release_${tag}`,
      exitSignal: `runwarden_exit_signal_${tag}`,
      owner: `runwarden_owner_${tag}`,
    };
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
    if (code === '42883' && /coordination_/.test(message)) {
      return new CoordinationError(
        'ERR_SCHEMA_MISSING',
        `PostgreSQL at ${this.where} has an older runwarden coordination schema in ${this.schema} (no coordination functions; this runwarden needs version ${POSTGRES_SCHEMA_VERSION}).`,
        { cause: error, hint: 'Upgrade it once with `runwarden db migrate --database-url URL`.' },
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

  /** Runs one operation's function: one prepared statement, one round trip. */
  private async call(operation: Operation, values: unknown[]): Promise<OperationRow> {
    const pool = await this.pool();
    try {
      const result = await pool.query<OperationRow>({
        name: this.statementNames[operation],
        text: operationStatement(this.quoted, operation),
        values,
      });
      return result.rows[0]!;
    } catch (error) {
      throw this.translate(error);
    }
  }

  /** The record the server decided on, parsed as the file store parses its files. */
  private before(key: string, row: OperationRow): CoordinationRecord | null {
    if (row.o_record === null) return null;
    const record = this.toRecord(key, { record: row.o_record, fencing_token: row.o_token! }, []);
    if (row.o_outcome === 'unusable') {
      // The server's check is meant to match the schema's; if only it refused, say so.
      throw new CoordinationError(
        'ERR_INVALID_STATE',
        `Coordination row ${this.schema}.coordination_targets[${key}] is unusable: the server's coordination_usable() refused it. It was left exactly as it was.`,
        {
          path: `${this.schema}.coordination_targets/${key}`,
          hint: 'Inspect the row; delete it (or restore it from a backup) to let runs claim this target again.',
        },
      );
    }
    return record;
  }

  /**
   * The result of the replayed pure function, once it agrees with what the
   * server decided (and wrote).
   */
  private agreed<S extends string>(
    key: string,
    row: OperationRow,
    result: OperationResult<S>,
  ): OperationResult<S> {
    const answer = result.ok ? result.status : result.error;
    if (answer !== row.o_outcome) {
      throw new CoordinationError(
        'ERR_DATABASE',
        `PostgreSQL at ${this.where} answered ${row.o_outcome} for ${key} where this runwarden decides ${answer}: the coordination functions of schema ${this.schema} come from another version.`,
        {
          hint: 'Run the same runwarden version on every machine of the fleet, then `runwarden db migrate`.',
        },
      );
    }
    return result;
  }

  private nowParameter(): number | null {
    return this.options.now ? Math.floor(this.options.now()) : null;
  }

  /**
   * {@inheritDoc CoordinationStore.claim}
   *
   * One round trip (`coordination_claim`), with one exception: whether a
   * recorded owner still runs is known only here (its `/proc`), so when the
   * current owner has an identity and the answer turns on it (a claim that
   * would find it dead, or a takeover, which says `claimed_dead_owner` for a
   * dead owner), the store judges it and asks once more with the verdict on
   * that very owner.
   */
  async claim(target: string, input: ClaimInput): Promise<OperationResult<ClaimStatus>> {
    const parsed = parseTarget(target);
    const runId = normalizeRunId(input.runId);
    const leaseMs = normalizeLeaseMs(input.leaseMs);
    const empty = JSON.stringify(withoutHistory(emptyRecord(parsed)));
    const owner = input.owner ? JSON.stringify(input.owner) : null;
    let judged: { runId: string; owner: unknown; verdict: IdentityVerdict } | undefined;
    for (let attempt = 0; ; attempt++) {
      const row = await this.call('claim', [
        parsed.key,
        empty,
        runId,
        input.mode === 'takeover',
        owner,
        leaseMs,
        input.leaseMs !== undefined,
        this.nowParameter(),
        this.historyLimit,
        judged?.runId ?? null,
        judged ? JSON.stringify(judged.owner) : null,
        judged ? isDead(judged.verdict) : null,
      ]);
      const current = this.before(parsed.key, row);
      const active = current?.activeRun;
      const recordedOwner = (row.o_record as { activeRun?: { owner?: unknown } } | null)?.activeRun
        ?.owner;
      let same =
        judged !== undefined &&
        active?.runId === judged.runId &&
        isDeepStrictEqual(recordedOwner, judged.owner);
      if (
        active?.owner &&
        !same &&
        attempt < MAX_VERDICT_ROUNDS &&
        (row.o_outcome === 'verdict_needed' || row.o_outcome === 'active_run_exists')
      ) {
        judged = {
          runId: active.runId,
          owner: recordedOwner,
          verdict: this.verifyOwner(active.owner),
        };
        same = true;
        if (row.o_outcome === 'verdict_needed' || isDead(judged.verdict)) continue;
      }
      const facts = same && judged ? { ownerVerdict: judged.verdict } : {};
      const { result } = applyClaim(current, parsed, input, facts, Number(row.o_now_ms));
      return this.agreed(parsed.key, row, result);
    }
  }

  /** {@inheritDoc CoordinationStore.refresh} */
  async refresh(target: string, runId: string): Promise<OperationResult<'refreshed'>> {
    const parsed = parseTarget(target);
    const row = await this.call('refresh', [
      parsed.key,
      normalizeRunId(runId),
      this.nowParameter(),
      this.historyLimit,
    ]);
    const current = this.before(parsed.key, row);
    const { result } = applyRefresh(current, parsed, runId, Number(row.o_now_ms));
    return this.agreed(parsed.key, row, result);
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
    const parsed = parseTarget(target);
    const row = await this.call('release', [
      parsed.key,
      normalizeRunId(runId),
      this.nowParameter(),
      this.historyLimit,
    ]);
    const current = this.before(parsed.key, row);
    const { result } = applyRelease(current, parsed, runId, Number(row.o_now_ms));
    return this.agreed(parsed.key, row, result);
  }

  /** {@inheritDoc CoordinationStore.recordExitSignal} */
  async recordExitSignal(
    target: string,
    input: ExitSignalInput,
  ): Promise<OperationResult<'exit_signal_recorded'>> {
    const parsed = parseTarget(target);
    const runId = normalizeRunId(input.runId);
    // The reason exactly as applyExitSignal keeps it (trimmed, at most 500 characters).
    const { reason } = applyExitSignal(
      emptyRecord(parsed),
      parsed,
      { runId, reason: input.reason, requireActiveOwner: false },
      0,
    ).next!.exitSignals[0]!;
    const row = await this.call('exitSignal', [
      parsed.key,
      runId,
      reason,
      input.requireActiveOwner ?? true,
      this.nowParameter(),
      this.historyLimit,
    ]);
    const current = this.before(parsed.key, row);
    const { result } = applyExitSignal(current, parsed, input, Number(row.o_now_ms));
    return this.agreed(parsed.key, row, result);
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
