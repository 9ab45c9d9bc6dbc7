/**
 * Commitment writers in real processes: each restates one shared commitment
 * and opens (and sometimes drops) its own in a topic capped at 5. No
 * restatement is lost, the shared key is opened once, and the topic never
 * holds more than 5 open commitments; on files and on PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type CoordinationStore, FileStore, PostgresStore } from '../src/index.js';
import { dropSchema, freshSchemaName, postgresName, postgresUrl } from './stores.js';
import { runJsonWorker } from './workers.js';

const worker = join(import.meta.dirname, 'fixtures', 'commitment-worker.mjs');
const PROCESSES = 6;
const ITERATIONS = 12;

interface WorkerStats {
  restated: number;
  opened: number;
  dropped: number;
  refused: number;
  sharedOpened: number;
  violations: string[];
}

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const runWorker = (settings: Record<string, unknown>) =>
  runJsonWorker<WorkerStats>(worker, settings);

async function race(
  store: CoordinationStore,
  settings: (index: number) => Record<string, unknown>,
) {
  const stats = await Promise.all(
    Array.from({ length: PROCESSES }, (_, index) =>
      runWorker({ iterations: ITERATIONS, runId: `w${index}`, ...settings(index) }),
    ),
  );
  const sum = (key: Exclude<keyof WorkerStats, 'violations'>) =>
    stats.reduce((total, one) => total + one[key], 0);
  expect(stats.flatMap((one) => one.violations)).toEqual([]);
  expect(sum('sharedOpened')).toBe(1);
  const shared = await store.listCommitments({ topic: 'builder' });
  expect(shared).toHaveLength(1);
  expect(shared[0]?.restatements).toBe(PROCESSES * ITERATIONS - 1);
  expect(sum('restated')).toBe(PROCESSES * ITERATIONS - 1);
  const busy = await store.listCommitments({ topic: 'busy' });
  const open = busy.filter((commitment) => commitment.state === 'open');
  expect(busy).toHaveLength(sum('opened'));
  expect(open).toHaveLength(sum('opened') - sum('dropped'));
  expect(open.length).toBeLessThanOrEqual(5);
  expect(sum('refused')).toBeGreaterThan(0);
}

describe('FileStore commitments race', () => {
  it(`loses no restatement and keeps the cap: ${PROCESSES} processes, ${ITERATIONS} rounds each`, async () => {
    dir = mkdtempSync(join(tmpdir(), 'commitments-race-'));
    const directory = join(dir, 'coordination');
    await race(new FileStore({ directory }), () => ({ store: 'file', directory }));
  });
});

describe.skipIf(!postgresUrl)(postgresName('PostgresStore commitments race'), () => {
  it(`loses no restatement and keeps the cap: ${PROCESSES} processes, ${ITERATIONS} rounds each`, async () => {
    const schema = freshSchemaName();
    const store = new PostgresStore({ connectionString: postgresUrl!, schema });
    try {
      await store.migrate();
      await race(store, () => ({ store: 'postgres', url: postgresUrl, schema }));
    } finally {
      await store.close();
      await dropSchema(postgresUrl!, schema);
    }
  });
});
