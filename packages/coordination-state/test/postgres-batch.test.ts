/**
 * Group commit on the client (migration 4, `coordination_batch`): operations
 * asked for together share one statement, each with the answer it would get
 * alone; one target's operations keep their order; batches never deadlock
 * one another; a refused batch, or a database without the function, costs
 * the operations nothing but the extra round trips.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type OperationResult, PostgresStore, type PostgresStoreOptions } from '../src/index.js';
import { dropSchema, freshSchemaName, postgresName, postgresUrl, recordingPool } from './stores.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A migrated store on a {@link recordingPool} of its own. */
async function recordingStore(
  options: Partial<PostgresStoreOptions> & { schema?: string } = {},
  max = 4,
) {
  const schema = options.schema ?? freshSchemaName();
  const { pool, sent } = recordingPool(max);
  const store = new PostgresStore({ ...options, pool, schema });
  cleanups.push(async () => {
    await pool.end();
    if (!options.schema) await dropSchema(postgresUrl!, schema);
  });
  await store.migrate();
  sent.length = 0;
  const batches = () => sent.filter((one) => one.text.includes('coordination_batch('));
  return { store, schema, sent, batches };
}

/** The status of a result, or its refusal. */
const answer = (result: OperationResult<string>) => (result.ok ? result.status : result.error);

async function sql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe.skipIf(!postgresUrl)(postgresName('PostgresStore batches'), () => {
  it('sends operations asked for together as one statement, each with its own answer', async () => {
    const { store, sent, batches } = await recordingStore();
    const targets = Array.from({ length: 10 }, (_, index) => `queue:${index}`);
    const claims = await Promise.all(
      targets.map((target, index) => store.claim(target, { runId: `run-${index}` })),
    );
    expect(sent).toHaveLength(1);
    expect(batches()).toHaveLength(1);
    expect(claims.map((claim) => claim.ok && [claim.status, claim.fencingToken])).toEqual(
      targets.map(() => ['claimed_new', 1]),
    );
    // A lone operation goes alone, as its own prepared statement.
    sent.length = 0;
    expect(await store.refresh('queue:3', 'run-3')).toMatchObject({ ok: true });
    expect(sent.map((one) => one.text)).toEqual([expect.stringContaining('coordination_refresh(')]);
    // Every kind of operation, and the refusals, come back as they would alone.
    sent.length = 0;
    const mixed = await Promise.all([
      store.release('queue:0', 'run-0'),
      store.release('queue:1', 'someone-else'),
      store.refresh('queue:2', 'run-2'),
      store.recordExitSignal('queue:4', { runId: 'run-4', reason: 'done' }),
      store.claim('queue:5', { runId: 'run-x' }),
      store.claim('queue:6', { runId: 'run-y', mode: 'takeover' }),
      store.release('queue:none', 'run-0'),
    ]);
    expect(batches()).toHaveLength(1);
    expect(mixed.map(answer)).toEqual([
      'released',
      'ownership_lost',
      'refreshed',
      'exit_signal_recorded',
      'active_run_exists',
      'taken_over',
      'release_noop',
    ]);
    expect((await store.get('queue:6'))?.activeRun).toMatchObject({
      runId: 'run-y',
      fencingToken: 2,
    });
    expect((await store.get('queue:4'))?.exitSignals).toMatchObject([
      { runId: 'run-4', reason: 'done' },
    ]);
  });

  it("keeps one target's operations in the order they were asked for", async () => {
    const { store, batches } = await recordingStore();
    const results = await Promise.all([
      store.claim('queue:t', { runId: 'run-a' }),
      store.claim('queue:other', { runId: 'run-c' }),
      store.claim('queue:t', { runId: 'run-b' }),
      store.release('queue:t', 'run-a'),
      store.claim('queue:t', { runId: 'run-b' }),
    ]);
    expect(batches()).toHaveLength(1);
    expect(results.map(answer)).toEqual([
      'claimed_new',
      'claimed_new',
      'active_run_exists',
      'released',
      'claimed_new',
    ]);
    expect(results[4]).toMatchObject({ fencingToken: 2 });
    expect((await store.get('queue:t'))?.history.map((entry) => [entry.type, entry.runId])).toEqual(
      [
        ['claim', 'run-a'],
        ['release', 'run-a'],
        ['claim', 'run-b'],
      ],
    );
  });

  it('never deadlocks two batches that touch the same targets in opposite orders', async () => {
    const schema = freshSchemaName();
    cleanups.push(() => dropSchema(postgresUrl!, schema));
    const one = await recordingStore({ schema });
    const two = await recordingStore({ schema });
    const targets = Array.from({ length: 12 }, (_, index) => `queue:${index}`);
    for (let round = 0; round < 15; round++) {
      const forward = targets.map((target) => one.store.refresh(target, 'run-1'));
      const backward = [...targets]
        .reverse()
        .map((target) => two.store.claim(target, { runId: `run-2-${round}`, mode: 'takeover' }));
      await Promise.all([...forward, ...backward]);
    }
    const refused = [...one.sent, ...two.sent].filter((sent) => sent.error !== undefined);
    expect(refused).toEqual([]);
    expect(one.batches().length).toBeGreaterThan(0);
    expect(two.batches().length).toBeGreaterThan(0);
  });

  it('asks for each operation alone when the server refuses their batch, and all are answered', async () => {
    const { store, schema, sent, batches } = await recordingStore();
    await sql(
      `CREATE OR REPLACE FUNCTION "${schema}".coordination_batch(ops jsonb)
         RETURNS TABLE (o_index integer, o_outcome text, o_record jsonb, o_token bigint, o_now_ms bigint)
         LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$`,
    );
    const claims = await Promise.all(
      ['a', 'b', 'c'].map((name) => store.claim(`queue:${name}`, { runId: `run-${name}` })),
    );
    expect(claims.every((claim) => claim.ok && claim.status === 'claimed_new')).toBe(true);
    expect(batches().map((batch) => batch.error)).toEqual(['P0001']);
    expect(sent).toHaveLength(4);
    // Nothing of the refused batch was written: each target has its one claim.
    for (const name of ['a', 'b', 'c'])
      expect((await store.get(`queue:${name}`))?.history).toHaveLength(1);
  });

  it('sends every operation alone against a database without coordination_batch (version 3)', async () => {
    const { store, schema, sent, batches } = await recordingStore();
    await sql(`DROP FUNCTION "${schema}".coordination_batch(jsonb)`);
    const first = await Promise.all(
      ['a', 'b', 'c'].map((name) => store.claim(`queue:${name}`, { runId: `run-${name}` })),
    );
    expect(first.every((claim) => claim.ok)).toBe(true);
    expect(batches().map((batch) => batch.error)).toEqual(['42883']);
    sent.length = 0;
    const second = await Promise.all(
      ['a', 'b', 'c'].map((name) => store.release(`queue:${name}`, `run-${name}`)),
    );
    expect(second.every((release) => release.ok)).toBe(true);
    expect(batches()).toEqual([]);
    expect(sent).toHaveLength(3);
  });

  it('sends every operation alone with batchOperations: false', async () => {
    const { store, batches, sent } = await recordingStore({ batchOperations: false });
    await Promise.all(
      ['a', 'b', 'c'].map((name) => store.claim(`queue:${name}`, { runId: `run-${name}` })),
    );
    expect(batches()).toEqual([]);
    expect(sent).toHaveLength(3);
  });

  it('refuses a maxBatchOperations that is not a positive whole number', () => {
    expect(
      () => new PostgresStore({ connectionString: postgresUrl!, maxBatchOperations: 0 }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
