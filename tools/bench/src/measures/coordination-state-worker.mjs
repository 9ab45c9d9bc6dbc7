// One process of the coordination-state benchmark: once every process is
// ready, claims and releases targets from `startAt` to `endAt` (Unix ms) and
// prints `{"pairs": N, "conflicts": M, "claim": {"p50Ms", "p99Ms"}, "release": …}`
// (latency percentiles of each operation, refused claims included). `mode`
// picks ours or the peer's way.
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const settings = JSON.parse(process.argv[2]);
const require = createRequire(`${settings.benchDir}/`);
const stats = { pairs: 0, conflicts: 0 };
/** Milliseconds each claim and release took, for the percentiles printed at the end. */
const latencies = { claim: [], release: [] };

/** The p-th percentile (nearest rank) of a list of ms, rounded to µs. */
function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[rank] * 1000) / 1000;
}

/** Times one operation into `latencies[kind]`. */
async function timed(kind, operation) {
  const start = performance.now();
  const result = await operation();
  latencies[kind].push(performance.now() - start);
  return result;
}

/** One claim+release per loop before the clock runs: connections made, directories created. */
/**
 * The peer's claim and release, as a user would write them over any
 * read-change-write `mutate(target, change)`: claim fails closed on another
 * owner, release only by the owner.
 */
function peerOperations(mutate, { keepPreviousRun }) {
  return {
    claim: (target, runId) =>
      mutate(target, (record) => {
        if (record.activeRun && record.activeRun.runId !== runId) return null;
        const at = new Date().toISOString();
        return {
          ...record,
          activeRun: { runId, claimedAt: at, updatedAt: at },
          history: [...record.history, { type: 'claim', runId, at }],
        };
      }),
    release: (target, runId) =>
      mutate(target, (record) => {
        if (record.activeRun?.runId !== runId) return null;
        const at = new Date().toISOString();
        const next = {
          ...record,
          activeRun: null,
          history: [...record.history, { type: 'release', runId, at }],
        };
        if (keepPreviousRun) next.previousRun = { runId, replacedAt: at, replacedByRunId: null };
        return next;
      }),
  };
}

async function warmUp(store) {
  await Promise.all(
    Array.from({ length: settings.clients }, async (_, client) => {
      const target = `bench:warm-${settings.runId}-${client}`;
      const runId = `${settings.runId}-${client}`;
      if (await store.claim(target, runId)) await store.release(target, runId);
    }),
  );
}

/** Says `ready` once loaded, then waits for `{startAt, endAt}` on stdin: every process starts together. */
async function untilStart() {
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  const [line] = await once(lines, 'line');
  lines.close();
  Object.assign(settings, JSON.parse(line));
  const wait = settings.startAt - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

/** dev-loops' record, built the way a user would with proper-lockfile and write-file-atomic. */
function peerFileStore(directory) {
  const lockfile = require('proper-lockfile');
  const writeFileAtomic = require('write-file-atomic');
  const pathOf = (target) => `${directory}/${encodeURIComponent(target)}.json`;
  const mutate = async (target, change) => {
    const path = pathOf(target);
    mkdirSync(dirname(path), { recursive: true });
    const release = await lockfile.lock(path, {
      realpath: false,
      stale: 10_000,
      retries: { retries: 100_000, minTimeout: 1, maxTimeout: 25, randomize: true },
    });
    try {
      let record;
      try {
        record = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        record = {
          schemaVersion: 2,
          target: { key: target },
          activeRun: null,
          history: [],
          exitSignals: [],
        };
      }
      const next = change(record);
      if (next) {
        next.history = next.history.slice(-200);
        await writeFileAtomic(path, `${JSON.stringify(next)}\n`, { mode: 0o600 });
      }
      return Boolean(next);
    } finally {
      await release();
    }
  };
  return {
    ...peerOperations(mutate, { keepPreviousRun: true }),
    close: async () => {},
  };
}

/** The same operations as naive statements: one jsonb record per target, rewritten whole. */
async function peerPostgres(url, clients) {
  const pg = require('pg');
  const pool = new pg.Pool({ connectionString: url, max: clients });
  const mutate = async (target, change) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO bench_naive (target, record) VALUES ($1, $2) ON CONFLICT (target) DO NOTHING`,
        [
          target,
          JSON.stringify({
            schemaVersion: 2,
            target: { key: target },
            activeRun: null,
            history: [],
            exitSignals: [],
          }),
        ],
      );
      const { rows } = await client.query(
        'SELECT record FROM bench_naive WHERE target = $1 FOR UPDATE',
        [target],
      );
      const next = change(rows[0].record);
      if (next) {
        next.history = next.history.slice(-200);
        await client.query('UPDATE bench_naive SET record = $2 WHERE target = $1', [
          target,
          JSON.stringify(next),
        ]);
      }
      await client.query('COMMIT');
      return Boolean(next);
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  };
  return {
    ...peerOperations(mutate, { keepPreviousRun: false }),
    close: () => pool.end(),
  };
}

async function ours() {
  const { FileStore, PostgresStore } = await import(pathToFileURL(settings.coordinationState).href);
  const store =
    settings.store === 'postgres'
      ? new PostgresStore({
          connectionString: settings.url,
          schema: settings.schema,
          maxConnections: settings.clients,
        })
      : new FileStore({ directory: settings.directory, lockWaitMs: 120_000 });
  return {
    claim: async (target, runId) => (await store.claim(target, { runId })).ok,
    release: async (target, runId) => (await store.release(target, runId)).ok,
    close: () => store.close(),
  };
}

const store =
  settings.mode === 'ours'
    ? await ours()
    : settings.store === 'postgres'
      ? await peerPostgres(settings.url, settings.clients)
      : peerFileStore(settings.directory);

await warmUp(store);
await untilStart();
await Promise.all(
  Array.from({ length: settings.clients }, async (_, client) => {
    const target = settings.sameTarget ? 'bench:target' : `bench:target-${client}`;
    const runId = `${settings.runId}-${client}`;
    while (Date.now() < settings.endAt) {
      if (await timed('claim', () => store.claim(target, runId))) {
        if (!(await timed('release', () => store.release(target, runId))))
          throw new Error('release of our own claim failed');
        stats.pairs++;
      } else {
        stats.conflicts++;
        // A refused contender retries after a short random pause (both ways alike).
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
      }
    }
  }),
);
await store.close();
for (const [kind, values] of Object.entries(latencies)) {
  stats[kind] = { p50Ms: percentile(values, 50), p99Ms: percentile(values, 99) };
}
process.stdout.write(`${JSON.stringify(stats)}\n`);
