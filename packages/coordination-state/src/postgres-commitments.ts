import { english, firstIssue } from '@runwarden/zod-english';
import type { PoolClient } from 'pg';
import {
  CLOSED_COMMITMENTS_KEPT,
  type Commitment,
  type CommitmentFilter,
  commitmentSchema,
  commitmentStates,
} from './commitment-schema.js';
import type {
  CommitmentBackend,
  CommitmentChange,
  CommitmentSelection,
} from './commitment-store.js';
import { CoordinationError } from './errors.js';

/**
 * The statements of the commitments migration: one row per commitment
 * (`commitments`: the indexed columns, and the whole commitment as `record`),
 * at most one open commitment per `external_key` (a partial unique index),
 * and indexes for a topic's open and closed commitments.
 *
 * @param quoted - the schema name, already quoted.
 * @returns the statements, in order.
 */
export function commitmentsMigration(quoted: string): string[] {
  return [
    `CREATE TABLE ${quoted}.commitments (
      id text PRIMARY KEY,
      external_key text NOT NULL,
      topic text NOT NULL,
      state text NOT NULL CHECK (state IN (${commitmentStates.map((state) => `'${state}'`).join(', ')})),
      created_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL,
      closed_at timestamptz,
      record jsonb NOT NULL
    )`,
    `CREATE UNIQUE INDEX commitments_open_key ON ${quoted}.commitments (external_key) WHERE state = 'open'`,
    `CREATE INDEX commitments_open_topic ON ${quoted}.commitments (topic, created_at) WHERE state = 'open'`,
    `CREATE INDEX commitments_closed_topic ON ${quoted}.commitments (topic, closed_at) WHERE state <> 'open'`,
  ];
}

/** What {@link PostgresCommitments} needs from its store. */
export interface PostgresCommitmentsOptions {
  /** The schema name, for messages. */
  schema: string;
  /** The schema name, quoted. */
  quoted: string;
  /** Runs `work` in one transaction of the store (translating errors, releasing the connection). */
  transaction<R>(work: (client: PoolClient) => Promise<R>): Promise<R>;
  /** The store's injected clock; without it the server's `clock_timestamp()` is used. */
  now?: () => number;
}

/**
 * Where the PostgreSQL store keeps its commitments: the `commitments` table. Every
 * change is one transaction that first takes a transaction-level advisory
 * lock for the schema's commitments (`pg_advisory_xact_lock`), so writers of
 * every machine queue on it, then reads, decides (the rules of
 * {@link CommitmentOperations}, the same as the file store's), and writes. Times are the server's unless the store has
 * an injected clock.
 */
export class PostgresCommitments implements CommitmentBackend {
  /** @param options - the schema, the store's transaction runner and clock. */
  constructor(private readonly options: PostgresCommitmentsOptions) {}

  private parse(row: { id: string; record: unknown }): Commitment {
    const parsed = commitmentSchema.safeParse(row.record, english());
    if (!parsed.success) {
      throw new CoordinationError({
        code: 'ERR_INVALID_STATE',
        message: `Commitment row ${this.options.schema}.commitments[${row.id}] is unusable: ${firstIssue(parsed.error, 'record')}. It was left exactly as it was.`,
        path: `${this.options.schema}.commitments/${row.id}`,
        hint: 'Inspect the row; delete it (or restore it from a backup).',
      });
    }
    return parsed.data;
  }

  private async select(client: PoolClient, where: string, values: unknown[]) {
    const result = await client.query<{ id: string; record: unknown }>(
      `SELECT id, record FROM ${this.options.quoted}.commitments ${where} ORDER BY created_at, id COLLATE "C"`,
      values,
    );
    return result.rows.map((row) => this.parse(row));
  }

  /** {@inheritDoc CommitmentBackend.change} */
  change<R>(selection: CommitmentSelection, change: CommitmentChange<R>): Promise<R> {
    const s = this.options.quoted;
    return this.options.transaction(async (client) => {
      const clock = await client.query<{ now_ms: number }>(
        `SELECT pg_advisory_xact_lock(hashtext($1)),
                (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now_ms`,
        [`runwarden.commitments.${this.options.schema}`],
      );
      const nowMs = this.options.now ? this.options.now() : Math.floor(clock.rows[0]!.now_ms);
      const selected =
        'id' in selection
          ? await this.select(client, 'WHERE id = $1', [selection.id])
          : await this.select(client, `WHERE state = 'open'`, []);
      const { result, changed } = change(selected, nowMs);
      for (const commitment of changed) {
        await client.query(
          `INSERT INTO ${s}.commitments (id, external_key, topic, state, created_at, expires_at, closed_at, record)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
           ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, closed_at = EXCLUDED.closed_at,
             record = EXCLUDED.record`,
          [
            commitment.id,
            commitment.externalKey,
            commitment.topic,
            commitment.state,
            commitment.createdAt,
            commitment.expiresAt,
            commitment.closedAt,
            JSON.stringify(commitment),
          ],
        );
      }
      const closedTopics = new Set(
        changed.filter((entry) => entry.state !== 'open').map((entry) => entry.topic),
      );
      for (const topic of closedTopics) {
        await client.query(
          `DELETE FROM ${s}.commitments WHERE id IN (
             SELECT id FROM ${s}.commitments WHERE topic = $1 AND state <> 'open'
              ORDER BY closed_at DESC, id COLLATE "C" DESC OFFSET $2)`,
          [topic, CLOSED_COMMITMENTS_KEPT],
        );
      }
      return result;
    });
  }

  /** {@inheritDoc CommitmentBackend.list} */
  list(filter: CommitmentFilter): Promise<Commitment[]> {
    return this.options.transaction((client) =>
      this.select(
        client,
        'WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR topic = $2)',
        [filter.state ?? null, filter.topic ?? null],
      ),
    );
  }

  /** {@inheritDoc CommitmentBackend.get} */
  async get(id: string): Promise<Commitment | null> {
    const found = await this.options.transaction((client) =>
      this.select(client, 'WHERE id = $1', [id]),
    );
    return found[0] ?? null;
  }
}
