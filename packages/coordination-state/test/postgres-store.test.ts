/** What only the PostgreSQL store does: migrations, the server's clock, errors a user meets. */
import { createServer } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinationError, POSTGRES_SCHEMA_VERSION, PostgresStore } from '../src/index.js';
import { postgresMigrations } from '../src/internal.js';
import { dropSchema, freshSchemaName, postgresName, postgresUrl } from './stores.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function open(schema = freshSchemaName(), options: { connectTimeoutMs?: number } = {}) {
  const store = new PostgresStore({ connectionString: postgresUrl!, schema, ...options });
  cleanups.push(async () => {
    await store.close();
    await dropSchema(postgresUrl!, schema);
  });
  return store;
}

describe('PostgresStore without a server', () => {
  it('needs a URL or a pool', () => {
    const saved = process.env.RUNWARDEN_DATABASE_URL;
    delete process.env.RUNWARDEN_DATABASE_URL;
    try {
      expect(() => new PostgresStore()).toThrow(
        'No PostgreSQL connection: pass a connection URL or set RUNWARDEN_DATABASE_URL.',
      );
    } finally {
      if (saved !== undefined) process.env.RUNWARDEN_DATABASE_URL = saved;
    }
  });

  it('fails with ERR_DATABASE_UNREACHABLE naming the server, never the password', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const store = new PostgresStore({
      connectionString: `postgres://someone:secret-password@127.0.0.1:${port}/fleet`,
      connectTimeoutMs: 2000,
    });
    const error = await store.claim('queue:x', { runId: 'a' }).catch((caught: unknown) => caught);
    await store.close();
    expect(CoordinationError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ERR_DATABASE_UNREACHABLE',
      hint: 'Check that the server runs and the URL (--database-url or RUNWARDEN_DATABASE_URL) is right.',
    });
    expect((error as Error).message).toMatch(
      new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port}/fleet is unreachable: .*ECONNREFUSED`),
    );
    expect((error as Error).message).not.toContain('secret-password');
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(
      () => new PostgresStore({ connectionString: 'postgres://x@y/z', schema: 'a"; drop' }),
    ).toThrow(
      'Invalid PostgreSQL schema name "a\\"; drop": use lower-case letters, digits and _ (at most 63).',
    );
  });
});

describe.skipIf(!postgresUrl)(postgresName('PostgresStore'), () => {
  it('answers ERR_SCHEMA_MISSING before migrate, and migrate is idempotent and safe to race', async () => {
    const store = open();
    await expect(store.claim('queue:x', { runId: 'a' })).rejects.toMatchObject({
      code: 'ERR_SCHEMA_MISSING',
      hint: 'Create them once with `runwarden db migrate --database-url URL`.',
    });
    const results = await Promise.all([store.migrate(), store.migrate(), store.migrate()]);
    expect(results.flatMap((result) => result.applied)).toEqual(
      postgresMigrations(store.schema).map((migration) => migration.version),
    );
    expect(results.every((result) => result.version === POSTGRES_SCHEMA_VERSION)).toBe(true);
    expect(await store.migrate()).toEqual({
      applied: [],
      version: POSTGRES_SCHEMA_VERSION,
      schema: store.schema,
    });
    expect(await store.claim('queue:x', { runId: 'a' })).toMatchObject({ status: 'claimed_new' });
  });

  it('judges leases by the server clock', async () => {
    const store = open();
    await store.migrate();
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    const before = Number(
      (await client.query('SELECT extract(epoch FROM clock_timestamp()) * 1000 AS ms')).rows[0].ms,
    );
    const claim = await store.claim('queue:clock', { runId: 'a' });
    const after = Number(
      (await client.query('SELECT extract(epoch FROM clock_timestamp()) * 1000 AS ms')).rows[0].ms,
    );
    await client.end();
    const claimedAt = Date.parse(claim.ok ? claim.activeRun!.claimedAt! : '');
    expect(claimedAt).toBeGreaterThanOrEqual(Math.floor(before));
    expect(claimedAt).toBeLessThanOrEqual(Math.ceil(after));
  });

  it('lets exactly one of many concurrent first claims win, each on its own connection', async () => {
    const store = new PostgresStore({
      connectionString: postgresUrl!,
      schema: freshSchemaName(),
      maxConnections: 12,
      // One statement per claim, so the twelve race on twelve connections (batched, they would queue in one statement).
      batchOperations: false,
    });
    cleanups.push(async () => {
      await store.close();
      await dropSchema(postgresUrl!, store.schema);
    });
    await store.migrate();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        store.claim('queue:first', { runId: `run-${index}` }),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(
      results.filter((result) => !result.ok && result.error === 'active_run_exists'),
    ).toHaveLength(11);
  });

  it('reports a row it cannot read as ERR_INVALID_STATE and leaves it as it is', async () => {
    const store = open();
    await store.migrate();
    await store.claim('queue:bad', { runId: 'a' });
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(
      `UPDATE "${store.schema}".coordination_targets SET record = '{"schemaVersion": 9}'`,
    );
    await expect(store.claim('queue:bad', { runId: 'b' })).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      message: `Coordination row ${store.schema}.coordination_targets[queue:bad] is unusable: its schemaVersion 9 is not one of 1, 2. It was left exactly as it was.`,
    });
    const row = await client.query(`SELECT record FROM "${store.schema}".coordination_targets`);
    await client.end();
    expect(row.rows[0].record).toEqual({ schemaVersion: 9 });
  });
});
