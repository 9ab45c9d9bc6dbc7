import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  findPostgresBinaries,
  type PostgresCluster,
  startPostgresCluster,
} from '../../../../packages/coordination-state/test/postgres-cluster.js';
import { type Bench, type Measure, median } from '../harness.js';

const require = createRequire(import.meta.url);
const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const worker = join(benchDir, 'src', 'measures', 'coordination-state-worker.mjs');
const coordinationState = join(
  dirname(require.resolve('@runwarden/coordination-state/package.json')),
  'dist',
  'index.js',
);

interface Counts {
  pairs: number;
  conflicts: number;
}

interface Worker {
  ready: Promise<void>;
  start(window: { startAt: number; endAt: number }): void;
  done: Promise<Counts>;
}

function startWorker(settings: Record<string, unknown>): Worker {
  const child = spawn(
    process.execPath,
    [worker, JSON.stringify({ benchDir, coordinationState, ...settings })],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    if (stdout.startsWith('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const done = new Promise<Counts>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(stdout.trim().split('\n').at(-1)!) as Counts)
        : reject(new Error(`benchmark worker exited ${code}: ${stderr.trim()}`)),
    );
  });
  return {
    ready: Promise.race([ready, done.then(() => undefined)]),
    start: (window) => child.stdin.end(`${JSON.stringify(window)}\n`),
    done,
  };
}

/**
 * claim+release pairs per second over `seconds`, with `processes` processes
 * of `clients` concurrent loops each, all starting together.
 */
async function pairsPerSecond(options: {
  mode: 'ours' | 'peer';
  processes: number;
  seconds: number;
  settings: Record<string, unknown>;
}): Promise<{ rate: number; conflicts: number }> {
  const workers = Array.from({ length: options.processes }, (_, index) =>
    startWorker({ ...options.settings, mode: options.mode, runId: `p${index}` }),
  );
  await Promise.all(workers.map((one) => one.ready));
  const startAt = Date.now() + 100;
  const endAt = startAt + options.seconds * 1000;
  for (const one of workers) one.start({ startAt, endAt });
  const counts = await Promise.all(workers.map((one) => one.done));
  const pairs = counts.reduce((total, count) => total + count.pairs, 0);
  const conflicts = counts.reduce((total, count) => total + count.conflicts, 0);
  return { rate: pairs / options.seconds, conflicts };
}

async function fileMeasure(options: {
  id: string;
  processes: number;
  seconds: number;
  rounds: number;
  workDir: string;
}): Promise<Measure> {
  const settings = (mode: string) => ({
    store: 'file',
    clients: 1,
    sameTarget: true,
    directory: mkdtempSync(join(options.workDir, `coordination-${mode}-`)),
  });
  const rounds = options.rounds;
  const ours: number[] = [];
  const peer: number[] = [];
  let conflicts = { ours: 0, peer: 0 };
  // Alternate, so that the load of a shared machine hits both alike; the median counts.
  for (let round = 0; round < rounds; round++) {
    const one = await pairsPerSecond({
      mode: 'ours',
      processes: options.processes,
      seconds: options.seconds,
      settings: settings('ours'),
    });
    const other = await pairsPerSecond({
      mode: 'peer',
      processes: options.processes,
      seconds: options.seconds,
      settings: settings('peer'),
    });
    ours.push(one.rate);
    peer.push(other.rate);
    conflicts = { ours: conflicts.ours + one.conflicts, peer: conflicts.peer + other.conflicts };
  }
  return {
    id: options.id,
    ours: median(ours),
    peer: { name: 'proper-lockfile+write-file-atomic', value: median(peer) },
    unit: 'pairs/s',
    target: '>=1',
    notes: `${options.processes} process(es) on one target, median of ${rounds} alternating ${options.seconds}s rounds; refused claims: ours ${conflicts.ours}, peer ${conflicts.peer}`,
  };
}

async function postgresMeasures(quick: boolean): Promise<Measure[]> {
  let cluster: PostgresCluster | undefined;
  let url = process.env.RUNWARDEN_BENCH_DATABASE_URL;
  if (!url) {
    if (!findPostgresBinaries()) {
      process.stdout.write(
        'BENCH coordination-state/postgres-* SKIP: no PostgreSQL reachable (no binaries found; set RUNWARDEN_BENCH_DATABASE_URL)\n',
      );
      return [];
    }
    try {
      cluster = await startPostgresCluster({ durable: true });
      url = cluster.url;
    } catch (error) {
      process.stdout.write(
        `BENCH coordination-state/postgres-* SKIP: no PostgreSQL reachable (${(error as Error).message})\n`,
      );
      return [];
    }
  }
  const schema = `rw_bench_${process.pid}`;
  // Loaded at run time, not bundled: pg is CommonJS with optional native parts.
  const pg = require('pg') as typeof import('pg');
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`DROP TABLE IF EXISTS bench_naive`);
    await client.query(`CREATE TABLE bench_naive (target text PRIMARY KEY, record jsonb NOT NULL)`);
    const { PostgresStore } = (await import(
      coordinationState
    )) as typeof import('@runwarden/coordination-state');
    const store = new PostgresStore({ connectionString: url, schema });
    await store.migrate();
    await store.close();
    const seconds = quick ? 1 : 3;
    const rounds = quick ? 1 : 3;
    const measures: Measure[] = [];
    for (const clients of [8, 32]) {
      const settings = { store: 'postgres', url, schema, clients, sameTarget: false };
      const ours: number[] = [];
      const peer: number[] = [];
      for (let round = 0; round < rounds; round++) {
        ours.push((await pairsPerSecond({ mode: 'ours', processes: 1, seconds, settings })).rate);
        peer.push((await pairsPerSecond({ mode: 'peer', processes: 1, seconds, settings })).rate);
      }
      measures.push({
        id: `coordination-state/postgres-claim-release-${clients}-clients`,
        ours: median(ours),
        peer: { name: 'naive-jsonb-select-for-update', value: median(peer) },
        unit: 'pairs/s',
        target: '>=1',
        notes: `${clients} connections, one target each, median of ${rounds} alternating ${seconds}s rounds; peer: the same record as one jsonb row rewritten per operation (history kept to 200 in it, older dropped); fsync on`,
      });
    }
    return measures;
  } finally {
    await client.query(`DROP TABLE IF EXISTS bench_naive`).catch(() => undefined);
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await client.end().catch(() => undefined);
    await cluster?.stop();
  }
}

/**
 * FileStore claim+release per second, alone and with 8 contending processes
 * on one target, beside the same operations built from proper-lockfile and
 * write-file-atomic; PostgresStore with 8 and 32 clients beside the same
 * operations as naive statements on one jsonb row per target.
 */
export const coordinationStateBench: Bench = async ({ quick, workDir }) => {
  const seconds = quick ? 1 : 3;
  const rounds = quick ? 1 : 3;
  return [
    await fileMeasure({
      id: 'coordination-state/file-claim-release',
      processes: 1,
      seconds,
      rounds,
      workDir,
    }),
    await fileMeasure({
      id: 'coordination-state/file-claim-release-8-contenders',
      processes: 8,
      seconds,
      rounds,
      workDir,
    }),
    ...(await postgresMeasures(quick)),
  ];
};
