import { createHash } from 'node:crypto';
import { verifyIdentity } from '@runwarden/process-identity';
import { CommitmentOperations } from './commitment-store.js';
import { COORDINATION_DEFAULTS } from './defaults.js';
import { CoordinationError } from './errors.js';
import { type ClaimInput, normalizeRunId, positiveCount } from './operation-input.js';
import type {
  ClaimStatus,
  OperationResult,
  OwnershipStatus,
  ReleaseStatus,
} from './operation-result.js';
import { assertOwnershipOn } from './operations.js';
import { OperationBatcher, type OperationCall } from './postgres-batcher.js';
import { PostgresCommitments } from './postgres-commitments.js';
import { PostgresConnection, type PostgresConnectionOptions } from './postgres-connection.js';
import { DATABASE_URL_ENV, describeUrl } from './postgres-errors.js';
import { type MigrationResult, migrateSchema } from './postgres-migrate.js';
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
  type RowSource,
  rowToRecord,
  selectArchived,
  selectTargets,
  type TargetRow,
} from './postgres-rows.js';
import { quoteSchema } from './postgres-schema.js';
import type { ArchivedEntry, CoordinationRecord } from './schema.js';
import type {
  AssertOwnershipInput,
  CoordinationStore,
  ExitSignalInput,
  ListedTarget,
  StoreOptions,
} from './store.js';
import { parseTarget } from './target.js';

export { DATABASE_URL_ENV } from './postgres-errors.js';
export type { MigrationResult } from './postgres-migrate.js';

/** Options for {@link PostgresStore}. */
export interface PostgresStoreOptions extends StoreOptions, PostgresConnectionOptions {
  /** The schema the tables live in. @default COORDINATION_DEFAULTS.postgresSchema ('runwarden') */
  schema?: string;
  /**
   * Send operations asked for at the same moment (while the connections are
   * busy, or in one turn of the event loop) together, in one statement and
   * one commit (group commit on the client; `postgres-batcher.ts`). Each
   * operation's result is the one it would get alone; a lone operation goes
   * alone, at once. The price: operations of one batch wait for each other,
   * so one that waits on a busy target's row lock holds back the rest of
   * its batch (up to `lockWaitMs`; then the batch is undone and each is
   * asked for alone, so the one on the busy target may wait `lockWaitMs`
   * once more before `ERR_STORE_BUSY`). `false` sends every operation as its
   * own statement.
   * @default true
   */
  batchOperations?: boolean;
  /**
   * Operations in one batch, at most (a batch holds the row lock of each
   * target it touches until it commits).
   * @default COORDINATION_DEFAULTS.maxBatchOperations (32)
   */
  maxBatchOperations?: number;
}

/**
 * The store for fleets: a PostgreSQL database (driver `pg`) that many machines
 * share. One row per target (`coordination_targets`) plus a history table.
 * Every operation is one round trip: a prepared statement that calls a
 * PL/pgSQL function of the schema (`coordination_claim`, …, installed by
 * migration 3), which locks the target's row (`SELECT … FOR UPDATE`; a first
 * claim inserts the row with `INSERT … ON CONFLICT DO NOTHING` first, so two
 * first claims queue on it; a conflicting claim is answered from a plain read,
 * without the lock), decides, and writes the row, the new history entry and
 * any archive move in the same statement's transaction, so the lock is held
 * only while the server runs the function. The store then replays the same
 * pure function as {@link FileStore} on the row as the server saw it, for the
 * result (and refuses to answer if the two disagree). Fencing tokens come from
 * the row's `fencing_token` column. Leases are judged by the server's clock
 * (`clock_timestamp()`), so machines with skewed clocks agree. Operations
 * asked for at the same moment (many loops of one supervisor, say) go together
 * in one `coordination_batch` statement: one round trip and one commit for
 * all, each with the result it would get alone (see `batchOperations`).
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
  private readonly connection: PostgresConnection;
  private readonly rows: RowSource;
  private readonly where: string;
  /** Names of the prepared statements, unique per schema (a given pool may serve several). */
  private readonly statementNames: Record<ServerOperation | 'owner' | 'batch', string>;
  private readonly statementTexts: Record<ServerOperation, string>;
  private readonly context: OperationContext;
  private readonly batcher: OperationBatcher | undefined;

  /**
   * Creates the store; no connection is made until the first operation.
   *
   * @param options - connection URL or pool, schema, pool size, timeouts, clock, history limit, owner verifier.
   * @throws {CoordinationError} `ERR_INVALID_OPTION` when there is neither a URL nor a pool, or an option is out of range.
   */
  constructor(options: PostgresStoreOptions = {}) {
    super();
    this.options = options;
    this.schema = options.schema ?? COORDINATION_DEFAULTS.postgresSchema;
    this.quoted = quoteSchema(this.schema);
    this.historyLimit = positiveCount(
      'history limit',
      options.historyLimit,
      COORDINATION_DEFAULTS.historyLimit,
    );
    this.verifyOwner = options.verifyOwner ?? verifyIdentity;
    const maxBatch = positiveCount(
      'maxBatchOperations',
      options.maxBatchOperations,
      COORDINATION_DEFAULTS.maxBatchOperations,
    );
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
      batch: `runwarden_batch_${tag}`,
    };
    this.statementTexts = {
      claim: operationStatement(this.quoted, 'claim'),
      refresh: operationStatement(this.quoted, 'refresh'),
      release: operationStatement(this.quoted, 'release'),
      exitSignal: operationStatement(this.quoted, 'exitSignal'),
    };
    this.connection = new PostgresConnection(options, { where: this.where, schema: this.schema });
    this.rows = {
      pool: () => this.connection.pool(),
      schema: this.schema,
      quoted: this.quoted,
      translate: (error) => this.connection.translate(error),
    };
    this.context = {
      schema: this.schema,
      where: this.where,
      historyLimit: this.historyLimit,
      verifyOwner: this.verifyOwner,
      now: options.now,
      call: (operation, values) => this.call(operation, values),
      parse: (key, row) => rowToRecord(this.schema, key, row, []),
    };
    this.batcher =
      options.batchOperations === false
        ? undefined
        : new OperationBatcher(
            {
              single: (call) => this.single(call),
              batch: (calls) => this.batch(calls),
            },
            {
              maxInFlight:
                options.pool?.options.max ??
                options.maxConnections ??
                COORDINATION_DEFAULTS.maxConnections,
              maxBatch,
            },
          );
  }

  /**
   * Creates or upgrades the tables (idempotent; concurrent callers queue on an
   * advisory lock). `runwarden db migrate` calls it.
   *
   * @returns the versions applied and the version now in place.
   * @throws {CoordinationError} `ERR_DATABASE_UNREACHABLE`, or `ERR_INVALID_STATE` when the database holds a newer schema than this package knows.
   */
  async migrate(): Promise<MigrationResult> {
    return this.connection.transaction((client) =>
      migrateSchema(client, { schema: this.schema, quoted: this.quoted, where: this.where }),
    );
  }

  /**
   * Runs one operation's function: through the batcher (alone, or in one
   * statement with the others asked for at the same moment), or alone when
   * batching is off. One round trip either way.
   */
  private async call(operation: ServerOperation, values: unknown[]): Promise<OperationRow> {
    try {
      return this.batcher
        ? await this.batcher.call({ operation, values })
        : await this.single({ operation, values });
    } catch (error) {
      throw this.connection.translate(error);
    }
  }

  /** One operation: its prepared statement. */
  private async single({ operation, values }: OperationCall): Promise<OperationRow> {
    const pool = await this.connection.pool();
    const result = await pool.query<OperationRow>({
      name: this.statementNames[operation],
      text: this.statementTexts[operation],
      values,
    });
    return result.rows[0]!;
  }

  /** Several operations: one `coordination_batch` statement (migration 4), rows back in the calls' order. */
  private async batch(calls: OperationCall[]): Promise<OperationRow[]> {
    const pool = await this.connection.pool();
    const result = await pool.query<OperationRow & { o_index: number }>({
      name: this.statementNames.batch,
      text: `SELECT o_index, o_outcome, o_record, o_token, o_now_ms FROM ${this.quoted}.coordination_batch($1::jsonb)`,
      values: [JSON.stringify(calls.map((call) => ({ op: call.operation, a: call.values })))],
    });
    const rows: OperationRow[] = new Array(calls.length);
    for (const { o_index, ...row } of result.rows) rows[o_index] = row;
    return rows;
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
    const pool = await this.connection.pool();
    let rows: TargetRow[];
    try {
      rows = (
        await pool.query<TargetRow>({
          name: this.statementNames.owner,
          text: `SELECT record, fencing_token FROM ${this.quoted}.coordination_targets WHERE target = $1`,
          values: [parsed.key],
        })
      ).rows;
    } catch (error) {
      throw this.connection.translate(error);
    }
    const current = rows[0] ? rowToRecord(this.schema, parsed.key, rows[0], []) : null;
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
    const found = await selectTargets(this.rows, `WHERE t.target = $2`, [historyLimit, key]);
    return found[0]?.record ?? null;
  }

  /** {@inheritDoc CoordinationStore.get} */
  async get(target: string): Promise<CoordinationRecord | null> {
    return this.read(parseTarget(target).key, this.historyLimit);
  }

  /** {@inheritDoc CoordinationStore.list} */
  async list(): Promise<ListedTarget[]> {
    return selectTargets(this.rows, '', [this.historyLimit]);
  }

  /** {@inheritDoc CoordinationStore.archived} */
  async archived(target: string): Promise<ArchivedEntry[]> {
    return selectArchived(this.rows, parseTarget(target).key, this.historyLimit);
  }

  /** Ends the pool's connections (unless the pool was given); the store cannot be used afterwards. */
  async close(): Promise<void> {
    await this.connection.close();
  }

  private commitmentRows: PostgresCommitments | undefined;

  /** The commitments' backend, the `commitments` table ({@link PostgresCommitments}), through this store's transactions. */
  protected commitmentBackend(): PostgresCommitments {
    this.commitmentRows ??= new PostgresCommitments({
      schema: this.schema,
      quoted: this.quoted,
      transaction: (work) => this.connection.transaction(work),
      now: this.options.now,
    });
    return this.commitmentRows;
  }
}
