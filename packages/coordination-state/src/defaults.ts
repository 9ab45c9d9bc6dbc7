/**
 * Every default of `@runwarden/coordination-state`, in one place: the code,
 * the CLI's help and the README read these (execa's
 * `DEFAULT_FORCE_KILL_TIMEOUT`; the lease follows Kubernetes Lease's
 * `leaseDurationSeconds`, the pool node-postgres' `max`).
 */
export const COORDINATION_DEFAULTS = {
  /** A claim's lease, in ms (5 minutes, refreshed by the heartbeat). */
  leaseMs: 300_000,
  /** History entries (and exit signals) a record keeps; older ones move to the archive. */
  historyLimit: 200,
  /** How long to wait for another writer of the same target before `ERR_STORE_BUSY`, in ms (both stores). */
  lockWaitMs: 30_000,
  /** The PostgreSQL schema the tables live in. */
  postgresSchema: 'runwarden',
  /** Connections in a PostgresStore's own pool. */
  maxConnections: 10,
  /** Operations a PostgresStore sends together in one `coordination_batch` statement, at most. */
  maxBatchOperations: 32,
  /** How long to wait for a PostgreSQL connection before `ERR_DATABASE_UNREACHABLE`, in ms. */
  connectTimeoutMs: 5000,
  /** Longest a PostgreSQL statement may run (`statement_timeout`), in ms. */
  statementTimeoutMs: 60_000,
  /** How long an idle connection stays in the pool, in ms. */
  idleTimeoutMs: 10_000,
  /** Open commitments per topic before a new one is refused (`cap_reached`). */
  commitmentCap: 5,
  /** How long after it opened a commitment expires, in ms (6 hours). */
  commitmentExpiryMs: 21_600_000,
} as const;
