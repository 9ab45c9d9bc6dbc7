import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  findPostgresBinaries,
  type PostgresCluster,
  startPostgresCluster,
} from '../../../../packages/coordination-state/test/postgres-cluster.js';
import { type Bench, type Measure, median, round } from '../harness.js';

const require = createRequire(import.meta.url);
const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const worker = join(benchDir, 'src', 'measures', 'coordination-state-worker.mjs');
const coordinationState = join(
  dirname(require.resolve('@runwarden/coordination-state/package.json')),
  'dist',
  'index.js',
);

interface Percentiles {
  p50Ms: number | null;
  p99Ms: number | null;
}

interface Counts {
  pairs: number;
  conflicts: number;
  claim: Percentiles;
  release: Percentiles;
}

/** One timed round: pairs per second, refused claims, and the worst p99 of each operation over the processes. */
interface Round {
  rate: number;
  conflicts: number;
  claimP99Ms: number;
  releaseP99Ms: number;
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
}): Promise<Round> {
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
  const worst = (kind: 'claim' | 'release') =>
    Math.max(0, ...counts.map((count) => count[kind].p99Ms ?? 0));
  return {
    rate: pairs / options.seconds,
    conflicts,
    claimP99Ms: worst('claim'),
    releaseP99Ms: worst('release'),
  };
}

/** `a–b` for a list of figures, 3 significant digits. */
function spread(values: number[]): string {
  return `${round(Math.min(...values))}–${round(Math.max(...values))}`;
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
  for (let index = 0; index < rounds; index++) {
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

/** Connection counts of the scale line (one target each); the last is the line's figure. */
const SCALE_CLIENTS = [1, 8, 32, 64];
/** Connection counts measured on one target each and on one shared hot target, with targets. */
const HOT_CLIENTS = [8, 32];

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
    // One target per client at 1, 8, 32 and 64 clients (the scale line), and
    // one shared hot target at 8 and 32 (the contended case). Ours and the
    // peer alternate case by case, so a shared machine's load hits both alike.
    const cases = [
      ...SCALE_CLIENTS.map((clients) => ({ clients, hot: false })),
      ...HOT_CLIENTS.map((clients) => ({ clients, hot: true })),
    ];
    const key = (clients: number, hot: boolean) => `${clients}${hot ? '-hot' : ''}`;
    const runs = new Map<string, { ours: Round[]; peer: Round[] }>();
    for (let index = 0; index < rounds; index++) {
      for (const { clients, hot } of cases) {
        const settings = { store: 'postgres', url, schema, clients, sameTarget: hot };
        const entry = runs.get(key(clients, hot)) ?? { ours: [], peer: [] };
        entry.ours.push(await pairsPerSecond({ mode: 'ours', processes: 1, seconds, settings }));
        entry.peer.push(await pairsPerSecond({ mode: 'peer', processes: 1, seconds, settings }));
        runs.set(key(clients, hot), entry);
      }
    }
    const measures: Measure[] = [];
    const rates = (list: Round[]) => list.map((one) => one.rate);
    const p99 = (list: Round[], kind: 'claimP99Ms' | 'releaseP99Ms') =>
      round(median(list.map((one) => one[kind])));
    for (const hot of [false, true]) {
      for (const clients of HOT_CLIENTS) {
        const { ours, peer } = runs.get(key(clients, hot))!;
        measures.push({
          id: `coordination-state/postgres-claim-release-${clients}-clients${hot ? '-hot-target' : ''}`,
          ours: median(rates(ours)),
          peer: { name: 'naive-jsonb-select-for-update', value: median(rates(peer)) },
          unit: 'pairs/s',
          target: '>=2',
          notes: `${clients} connections, ${hot ? 'all on one hot target (refused claims retry after 0-10 ms)' : 'one target each'}, median of ${rounds} alternating ${seconds}s rounds (ours ${spread(rates(ours))}, peer ${spread(rates(peer))}); p99 ms claim ours ${p99(ours, 'claimP99Ms')} peer ${p99(peer, 'claimP99Ms')}, release ours ${p99(ours, 'releaseP99Ms')} peer ${p99(peer, 'releaseP99Ms')}; refused claims ours ${ours.reduce((sum, one) => sum + one.conflicts, 0)} peer ${peer.reduce((sum, one) => sum + one.conflicts, 0)}; peer: the same record as one jsonb row rewritten per operation (history kept to 200 in it, older dropped); fsync on; load average ${loadavg()[0]!.toFixed(1)}`,
        });
      }
    }
    const top = SCALE_CLIENTS.at(-1)!;
    const curve = SCALE_CLIENTS.map((clients) => {
      const { ours, peer } = runs.get(key(clients, false))!;
      return `${clients}: ${round(median(rates(ours)))}/${round(median(rates(peer)))}`;
    }).join(', ');
    measures.push({
      id: 'coordination-state/postgres-scale',
      ours: median(rates(runs.get(key(top, false))!.ours)),
      peer: {
        name: 'naive-jsonb-select-for-update',
        value: median(rates(runs.get(key(top, false))!.peer)),
      },
      unit: 'pairs/s',
      target: '>=2',
      notes: `pairs/s ours/peer by connections, one target each: ${curve} (the line's figures: ${top}); median of ${rounds} alternating ${seconds}s rounds; fsync on`,
    });
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
 * write-file-atomic; PostgresStore with 8 and 32 connections (one target each,
 * and all on one hot target) and at 1, 8, 32 and 64 connections (the scale
 * line) beside the same operations as naive statements on one jsonb row per
 * target, with each operation's p99 latency.
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
