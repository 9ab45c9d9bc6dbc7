/**
 * A PostgresStore's connections: its own node-postgres pool (or one it is
 * given), created on first use with the store's timeouts, transactions that
 * roll back on failure, and every driver error translated into a
 * `CoordinationError` that names the server (never the password).
 */
import type { Pool, PoolClient } from 'pg';
import { COORDINATION_DEFAULTS } from './defaults.js';
import { DATABASE_URL_ENV, translatePostgresError } from './postgres-errors.js';

/** The pool settings of a PostgresStore (the connection half of `PostgresStoreOptions`). */
export interface PostgresConnectionOptions {
  /**
   * A libpq connection URL (`postgres://user:pass@host:5432/db`, or
   * `postgres:///db?host=/run/postgresql` for a socket).
   * @default process.env.RUNWARDEN_DATABASE_URL
   */
  connectionString?: string;
  /** A pool you own (node-postgres `pg.Pool`); `close()` leaves it open. @default a pool of its own */
  pool?: Pool;
  /**
   * Connections in the pool: size it for the operations this process runs at
   * once (each operation holds a connection for one round trip only).
   * @default COORDINATION_DEFAULTS.maxConnections (10)
   */
  maxConnections?: number;
  /** How long to wait for a connection before `ERR_DATABASE_UNREACHABLE`, in ms. @default COORDINATION_DEFAULTS.connectTimeoutMs (5000) */
  connectTimeoutMs?: number;
  /**
   * How long to wait for another writer of the same target (its row lock,
   * PostgreSQL's `lock_timeout`) before `ERR_STORE_BUSY`, in ms.
   * @default COORDINATION_DEFAULTS.lockWaitMs (30000)
   */
  lockWaitMs?: number;
  /** Longest a statement may run (PostgreSQL's `statement_timeout`), in ms. @default COORDINATION_DEFAULTS.statementTimeoutMs (60000) */
  statementTimeoutMs?: number;
  /** How long an idle connection stays in the pool, in ms. @default COORDINATION_DEFAULTS.idleTimeoutMs (10000) */
  idleTimeoutMs?: number;
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

/** The pool, transactions and error translation of one PostgresStore. */
export class PostgresConnection {
  private poolPromise: Promise<Pool> | undefined;
  private readonly ownsPool: boolean;

  /**
   * @param options - the URL or pool, pool size and timeouts.
   * @param place - where the server is (`host:port/db`, for messages) and the schema.
   */
  constructor(
    private readonly options: PostgresConnectionOptions,
    private readonly place: { where: string; schema: string },
  ) {
    this.ownsPool = options.pool === undefined;
    if (options.pool) this.poolPromise = Promise.resolve(options.pool);
  }

  /** The pool, created on first use (`pg` is loaded then, not at import). */
  pool(): Promise<Pool> {
    this.poolPromise ??= import('pg').then((module) => {
      const pg = module.default ?? module;
      const pool = new pg.Pool({
        connectionString: this.options.connectionString ?? process.env[DATABASE_URL_ENV],
        max: this.options.maxConnections ?? COORDINATION_DEFAULTS.maxConnections,
        connectionTimeoutMillis:
          this.options.connectTimeoutMs ?? COORDINATION_DEFAULTS.connectTimeoutMs,
        idleTimeoutMillis: this.options.idleTimeoutMs ?? COORDINATION_DEFAULTS.idleTimeoutMs,
        lock_timeout: this.options.lockWaitMs ?? COORDINATION_DEFAULTS.lockWaitMs,
        statement_timeout:
          this.options.statementTimeoutMs ?? COORDINATION_DEFAULTS.statementTimeoutMs,
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

  /**
   * The `CoordinationError` for a driver error (`ERR_DATABASE_UNREACHABLE`, `ERR_SCHEMA_MISSING`, …).
   *
   * @param error - what the driver threw.
   * @returns the error to throw.
   */
  translate(error: unknown): unknown {
    return translatePostgresError(error, this.place);
  }

  /**
   * Runs `work` in one transaction on one connection: `BEGIN`, `COMMIT`, or
   * `ROLLBACK` when it throws (a connection whose rollback fails is discarded).
   *
   * @param work - the statements.
   * @returns what `work` returns.
   * @throws {CoordinationError} the translated error.
   */
  async transaction<R>(work: (client: PoolClient) => Promise<R>): Promise<R> {
    const pool = await this.pool();
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw this.translate(error);
    }
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

  /** Ends the pool's connections, unless the pool was given. */
  async close(): Promise<void> {
    if (!this.ownsPool || !this.poolPromise) return;
    const pool = await this.poolPromise;
    await pool.end();
  }
}
