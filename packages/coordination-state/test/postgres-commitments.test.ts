/** What only the PostgreSQL store's commitments do: the migration, the server's clock, an unusable row. */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/index.js';
import { dropSchema, freshSchemaName, postgresName, postgresUrl } from './stores.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function open() {
  const schema = freshSchemaName();
  const store = new PostgresStore({ connectionString: postgresUrl!, schema });
  cleanups.push(async () => {
    await store.close();
    await dropSchema(postgresUrl!, schema);
  });
  return store;
}

const input = {
  externalKey: 'actionclaim:builder:push',
  topic: 'builder',
  text: 'Pushing the fix now.',
  verb: 'push',
  runId: 'run-1',
};

async function sql(text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

describe.skipIf(!postgresUrl)(postgresName('PostgresStore commitments'), () => {
  it('answers ERR_SCHEMA_MISSING before migrate, and works after it', async () => {
    const store = open();
    await expect(store.recordCommitment(input)).rejects.toMatchObject({
      code: 'ERR_SCHEMA_MISSING',
    });
    await store.migrate();
    expect(await store.recordCommitment(input)).toMatchObject({ ok: true, status: 'opened' });
  });

  it('stamps and expires by the server clock when no clock is injected', async () => {
    const store = open();
    await store.migrate();
    const before = Date.now();
    const opened = await store.recordCommitment({ ...input, expiresAt: before - 1 });
    const createdAt = Date.parse(opened.ok ? opened.commitment.createdAt : '');
    expect(Math.abs(createdAt - before)).toBeLessThan(60_000);
    expect((await store.expireCommitments()).map((entry) => entry.externalKey)).toEqual([
      input.externalKey,
    ]);
  });

  it('refuses an unusable row with ERR_INVALID_STATE naming it, and leaves it', async () => {
    const store = open();
    await store.migrate();
    const opened = await store.recordCommitment(input);
    const id = opened.ok ? opened.commitment.id : '';
    await sql(
      `UPDATE "${store.schema}".commitments SET record = '{"id": 1}'::jsonb WHERE id = $1`,
      [id],
    );
    await expect(store.listCommitments()).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      path: `${store.schema}.commitments/${id}`,
      message: `Commitment row ${store.schema}.commitments[${id}] is unusable: id: Invalid input: expected string, received number. It was left exactly as it was.`,
    });
    const rows = await sql(`SELECT record FROM "${store.schema}".commitments`);
    expect(rows.rows[0].record).toEqual({ id: 1 });
  });
});
