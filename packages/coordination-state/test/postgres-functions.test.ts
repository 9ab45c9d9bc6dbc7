/**
 * The server-side functions of migration 3: one round trip per operation,
 * a database at version 1 upgraded in place, the server's row check agreeing
 * with the record schema, and the client refusing an answer it disagrees with.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { captureIdentity, type ProcessIdentity } from '@runwarden/process-identity';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { coordinationRecordSchema, POSTGRES_SCHEMA_VERSION, PostgresStore } from '../src/index.js';
import { postgresMigrations } from '../src/internal.js';
import { dropSchema, freshSchemaName, postgresName, postgresUrl, recordingPool } from './stores.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let me: ProcessIdentity;
let deadOwner: ProcessIdentity;
beforeAll(async () => {
  const gone = spawn('true');
  await once(gone, 'exit');
  me = captureIdentity()!;
  deadOwner = { ...me, pid: gone.pid!, startTicks: 1, comm: 'true' };
});

/** A client of the test server, ended after the test. */
async function sql(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  cleanups.push(() => client.end());
  return client;
}

/**
 * A migrated store on a pool of our own that counts the statements its
 * connections send ({@link recordingPool}): each is one round trip.
 */
async function countingStore() {
  const schema = freshSchemaName();
  const { pool, sent } = recordingPool(2);
  const store = new PostgresStore({ pool, schema });
  cleanups.push(async () => {
    await pool.end();
    await dropSchema(postgresUrl!, schema);
  });
  await store.migrate();
  const trips = async (operation: () => Promise<unknown>): Promise<number> => {
    const start = sent.length;
    await operation();
    return sent.length - start;
  };
  return { store, schema, trips };
}

describe.skipIf(!postgresUrl)(postgresName('PostgresStore functions'), () => {
  it('does each operation in one round trip', async () => {
    const { store, trips } = await countingStore();
    expect(await trips(() => store.claim('queue:a', { runId: 'run-a', owner: me }))).toBe(1);
    expect(await trips(() => store.claim('queue:a', { runId: 'run-a' }))).toBe(1);
    // A live owner with an identity: judged here, after the one answer.
    expect(await trips(() => store.claim('queue:a', { runId: 'run-b', owner: me }))).toBe(1);
    expect(await trips(() => store.refresh('queue:a', 'run-a'))).toBe(1);
    expect(await trips(() => store.assertOwnership('queue:a', { runId: 'run-a' }))).toBe(1);
    expect(await trips(() => store.recordExitSignal('queue:a', { runId: 'run-a' }))).toBe(1);
    expect(await trips(() => store.release('queue:a', 'run-a'))).toBe(1);
    expect(await trips(() => store.release('queue:none', 'run-a'))).toBe(1);
    await store.claim('queue:b', { runId: 'run-a' });
    expect(await trips(() => store.claim('queue:b', { runId: 'run-b', mode: 'takeover' }))).toBe(1);
    expect((await store.get('queue:a'))?.history.map((entry) => entry.type)).toEqual([
      'claim',
      'refresh',
      'release',
    ]);
  });

  it('asks a second time only when the answer turns on whether a recorded owner still runs', async () => {
    const { store, trips } = await countingStore();
    await store.claim('queue:dead', { runId: 'run-a', owner: deadOwner });
    let result: unknown;
    expect(
      await trips(async () => {
        result = await store.claim('queue:dead', { runId: 'run-b' });
      }),
    ).toBe(2);
    expect(result).toMatchObject({ ok: true, status: 'claimed_dead_owner', fencingToken: 2 });
    await store.claim('queue:alive', { runId: 'run-a', owner: me });
    expect(
      await trips(async () => {
        result = await store.claim('queue:alive', { runId: 'run-b', mode: 'takeover' });
      }),
    ).toBe(2);
    expect(result).toMatchObject({ ok: true, status: 'taken_over', fencingToken: 2 });
  });

  it('upgrades a database at version 1 in place, keeping its targets and history', async () => {
    const schema = freshSchemaName();
    const store = new PostgresStore({ connectionString: postgresUrl!, schema });
    cleanups.push(async () => {
      await store.close();
      await dropSchema(postgresUrl!, schema);
    });
    const client = await sql();
    // What runwarden 0.x (schema version 1) left: its tables, one owned target, its history.
    await client.query(`CREATE SCHEMA "${schema}"`);
    for (const statement of postgresMigrations(schema)[0]!.statements)
      await client.query(statement);
    await client.query(
      `CREATE TABLE "${schema}".coordination_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp());
       INSERT INTO "${schema}".coordination_migrations (version) VALUES (1)`,
    );
    const at = new Date().toISOString();
    await client.query(
      `INSERT INTO "${schema}".coordination_targets (target, record, active_run_id, fencing_token, history_seq)
       VALUES ('queue:old', $1, 'run-a', 3, 2)`,
      [
        {
          schemaVersion: 2,
          target: { key: 'queue:old' },
          activeRun: {
            runId: 'run-a',
            claimedAt: at,
            updatedAt: at,
            leaseMs: 600_000,
            fencingToken: 3,
          },
          previousRun: { runId: 'run-z', replacedAt: at, replacedByRunId: null },
          exitSignals: [],
        },
      ],
    );
    await client.query(
      `INSERT INTO "${schema}".coordination_history (target, seq, entry) VALUES
         ('queue:old', 1, '{"type": "release", "runId": "run-z", "at": "${at}", "fencingToken": 2}'),
         ('queue:old', 2, '{"type": "claim", "runId": "run-a", "at": "${at}", "fencingToken": 3}')`,
    );
    await expect(store.claim('queue:old', { runId: 'run-b' })).rejects.toMatchObject({
      code: 'ERR_SCHEMA_MISSING',
      message: expect.stringContaining(
        `has an older runwarden coordination schema in ${schema} (no coordination functions; this runwarden needs version ${POSTGRES_SCHEMA_VERSION})`,
      ),
      hint: 'Upgrade it once with `runwarden db migrate --database-url URL`.',
    });
    expect(await store.migrate()).toEqual({
      applied: postgresMigrations(schema)
        .map((migration) => migration.version)
        .filter((version) => version > 1),
      version: POSTGRES_SCHEMA_VERSION,
      schema,
    });
    expect(await store.claim('queue:old', { runId: 'run-b' })).toMatchObject({
      ok: false,
      error: 'active_run_exists',
    });
    expect(await store.release('queue:old', 'run-a')).toMatchObject({ status: 'released' });
    expect(await store.claim('queue:old', { runId: 'run-b' })).toMatchObject({
      status: 'claimed_new',
      fencingToken: 4,
    });
    expect((await store.get('queue:old'))?.history.map((entry) => entry.fencingToken)).toEqual([
      2, 3, 3, 4,
    ]);
  });

  it("judges a row's record as the record schema does", async () => {
    const { store, schema } = await countingStore();
    const at = '2026-11-26T00:00:00.000Z';
    const valid = {
      schemaVersion: 2,
      target: { repo: 'acme/widgets', pr: 12 },
      activeRun: {
        runId: 'a',
        claimedAt: null,
        updatedAt: at,
        leaseMs: 1000,
        fencingToken: 1,
        owner: me,
      },
      previousRun: { runId: 'b', replacedAt: at, replacedByRunId: null },
      exitSignals: [{ runId: 'a', at, reason: null }],
    };
    const { owner: _owner, ...ownerless } = valid.activeRun;
    const variants: unknown[] = [
      valid,
      { ...valid, schemaVersion: 1, unknownField: true },
      { ...valid, schemaVersion: 3 },
      { ...valid, schemaVersion: '2' },
      { ...valid, target: { key: 'queue:x' } },
      { ...valid, target: { repo: 'acme/widgets', pr: 0 } },
      { ...valid, target: { repo: 'acme/widgets', pr: 1.5 } },
      { ...valid, target: 'queue:x' },
      { ...valid, activeRun: null },
      { ...valid, activeRun: undefined },
      { ...valid, activeRun: ownerless },
      { ...valid, activeRun: { ...valid.activeRun, runId: '' } },
      { ...valid, activeRun: { ...valid.activeRun, claimedAt: undefined } },
      { ...valid, activeRun: { ...valid.activeRun, updatedAt: 5 } },
      { ...valid, activeRun: { ...valid.activeRun, leaseMs: 0 } },
      { ...valid, activeRun: { ...valid.activeRun, leaseMs: '1000' } },
      { ...valid, activeRun: { ...valid.activeRun, leaseMs: 2 ** 53 } },
      { ...valid, activeRun: { ...valid.activeRun, fencingToken: -1 } },
      { ...valid, activeRun: { ...valid.activeRun, owner: null } },
      { ...valid, activeRun: { ...valid.activeRun, owner: { ...me, pid: 0 } } },
      { ...valid, activeRun: { ...valid.activeRun, owner: { ...me, hostname: undefined } } },
      { ...valid, activeRun: { ...valid.activeRun, owner: { ...me, startTimeMs: -1 } } },
      { ...valid, activeRun: { ...valid.activeRun, owner: { ...me, token: '' } } },
      { ...valid, activeRun: { ...valid.activeRun, owner: { ...me, tokenSource: 'argv' } } },
      { ...valid, activeRun: { ...valid.activeRun, owner: { ...me, extra: 1 } } },
      { ...valid, previousRun: undefined },
      { ...valid, previousRun: null },
      { ...valid, previousRun: { runId: '', replacedAt: null, replacedByRunId: null } },
      { ...valid, previousRun: { runId: null, replacedByRunId: null } },
      { ...valid, exitSignals: undefined },
      { ...valid, exitSignals: null },
      { ...valid, exitSignals: [1] },
      { ...valid, exitSignals: [{ runId: 1, at: null, reason: null }] },
      { ...valid, exitSignals: [{ runId: 'a', at: null }] },
      [valid],
      'queue:x',
    ];
    const client = await sql();
    const server: boolean[] = [];
    const schemaVerdicts: boolean[] = [];
    for (const variant of variants) {
      const text = JSON.stringify(variant);
      const { rows } = await client.query(
        `SELECT "${schema}".coordination_usable($1::jsonb) AS ok`,
        [text],
      );
      server.push(rows[0].ok);
      // As the store parses a row: its record, the history from its table, the token from its column.
      const parsed = JSON.parse(text) as object;
      schemaVerdicts.push(
        coordinationRecordSchema.safeParse({ ...parsed, history: [], lastFencingToken: 0 }).success,
      );
    }
    expect(server).toEqual(schemaVerdicts);
    expect(schemaVerdicts.filter(Boolean)).toHaveLength(9);
    // A claim on a row the server refuses writes nothing.
    await store.claim('queue:bad', { runId: 'a' });
    await client.query(
      `UPDATE "${schema}".coordination_targets SET record = jsonb_set(record, '{activeRun,leaseMs}', '"soon"')`,
    );
    const before = (await client.query(`SELECT * FROM "${schema}".coordination_targets`)).rows;
    await expect(store.claim('queue:bad', { runId: 'b', mode: 'takeover' })).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
      message: expect.stringContaining(
        `Coordination row ${schema}.coordination_targets[queue:bad] is unusable: activeRun.leaseMs:`,
      ),
    });
    expect((await client.query(`SELECT * FROM "${schema}".coordination_targets`)).rows).toEqual(
      before,
    );
  });

  it('refuses to answer when the server decided otherwise than this runwarden would', async () => {
    const { store, schema } = await countingStore();
    await store.claim('queue:x', { runId: 'run-a' });
    const client = await sql();
    // Functions of "another version" that let every claim win.
    await client.query(
      `CREATE OR REPLACE FUNCTION "${schema}".coordination_claim_outcome(doc jsonb, run_id text,
         takeover boolean, now_ms bigint, judged_run_id text, judged_owner jsonb, judged_dead boolean)
       RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'claimed_new' $$`,
    );
    await expect(store.claim('queue:x', { runId: 'run-b' })).rejects.toMatchObject({
      code: 'ERR_DATABASE',
      message: `PostgreSQL at the given pool answered claimed_new for queue:x where this runwarden decides active_run_exists: the coordination functions of schema ${schema} come from another version.`,
    });
  });
});
