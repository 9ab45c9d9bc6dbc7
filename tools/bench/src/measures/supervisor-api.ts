import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { type Bench, type Measure, median } from '../harness.js';
import {
  idleEcosystem,
  pm2,
  sample,
  startSupervisor,
  stopSupervisor,
  until,
} from './supervisor.js';

const require = createRequire(import.meta.url);
const LOOPS = 20;
const SSE_CLIENTS = 10;
const percentile = (values: number[], share: number) =>
  [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(share * values.length) - 1)]!;

/** One timed GET: from the request to the last byte of the body, ms. */
async function timedGet(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`bench: GET ${url}: HTTP ${response.status}`);
  return performance.now() - started;
}

/** `requests` GETs one after the other (after 20 to warm up), and the peak RSS of `pid` meanwhile. */
async function load(url: string, requests: number, pid: number) {
  for (let index = 0; index < 20; index++) await timedGet(url);
  let peakMb = sample(pid).rssMb;
  const sampler = setInterval(() => {
    peakMb = Math.max(peakMb, sample(pid).rssMb);
  }, 100);
  const latencies: number[] = [];
  try {
    for (let index = 0; index < requests; index++) latencies.push(await timedGet(url));
  } finally {
    clearInterval(sampler);
  }
  return { latencies, peakMb: Math.max(peakMb, sample(pid).rssMb) };
}

/** Opens `count` SSE streams on `url` and keeps reading them; returns a function that closes them. */
async function sseClients(url: string, count: number): Promise<() => void> {
  const controller = new AbortController();
  for (let index = 0; index < count; index++) {
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    });
    if (response.status !== 200 || !response.body)
      throw new Error(`bench: GET ${url}: HTTP ${response.status}`);
    void (async () => {
      try {
        for await (const _chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          // read and drop
        }
      } catch {
        // closed
      }
    })();
  }
  return () => controller.abort();
}

/** Ours: 20 idle loops, 10 SSE clients on `/events`, then `GET /runs` one after the other. */
async function ours(workDir: string, requests: number) {
  const dir = mkdtempSync(join(workDir, 'supervisor-api-'));
  const loops = Array.from(
    { length: LOOPS },
    (_, index) => `  idle-${index}:\n    command: [sleep, "100000"]\n    run: { killGrace: 1s }`,
  ).join('\n');
  const child = startSupervisor(dir, `loops:\n${loops}\n`);
  const apiFile = join(dir, '.runtime', 'supervisor', 'api.json');
  let close: () => void = () => {};
  try {
    await until(() => existsSync(apiFile), 30_000, 'the API');
    const { url } = JSON.parse(readFileSync(apiFile, 'utf8')) as { url: string };
    await until(
      () => {
        const running = readFileSync(join(dir, '.runtime', 'supervisor', 'journal.jsonl'), 'utf8')
          .split('\n')
          .filter((line) => line.includes('"to":"running"')).length;
        return running >= LOOPS;
      },
      30_000,
      '20 loops running',
    );
    close = await sseClients(`${url}/events`, SSE_CLIENTS);
    return await load(`${url}/runs`, requests, child.pid!);
  } finally {
    close();
    await stopSupervisor(child);
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** Peer: PM2 7's own HTTP interface (`pm2 web`, its lib/HttpInterface.js) on loopback, with the same 20 apps. */
async function peer(workDir: string, requests: number) {
  const home = mkdtempSync(join(workDir, 'pm2-api-home-'));
  const ecosystem = idleEcosystem(home);
  let web: ChildProcess | undefined;
  try {
    await pm2(home, ['start', ecosystem]);
    const daemon = Number(readFileSync(join(home, 'pm2.pid'), 'utf8'));
    const port = await freePort();
    web = spawn(
      process.execPath,
      [join(dirname(require.resolve('pm2/package.json')), 'lib', 'HttpInterface.js')],
      {
        env: {
          ...process.env,
          PM2_HOME: home,
          PM2_WEB_PORT: String(port),
          PM2_API_IPADDR: '127.0.0.1',
        },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let said = '';
    web.stdout!.on('data', (chunk) => {
      said += chunk;
    });
    await until(() => said.includes('listening'), 30_000, "PM2's web interface");
    const measured = await load(`http://127.0.0.1:${port}/`, requests, daemon);
    return measured;
  } finally {
    web?.kill('SIGKILL');
    await pm2(home, ['kill']).catch(() => undefined);
  }
}

/**
 * The supervisor's API under load: `GET /runs` p99 with 20 loops and 10 SSE
 * clients on `/events` (1000 requests; quick: 200), beside PM2 7's HTTP
 * interface listing the same 20 apps; and the supervisor's peak RSS
 * meanwhile against issue 11's budget (≤ 100 MB, ≤ 1× PM2's daemon).
 */
export const supervisorApiBench: Bench = async ({ quick, workDir }) => {
  const requests = quick ? 200 : 1000;
  const mine = await ours(workDir, requests);
  const theirs = await peer(workDir, requests);
  const p99 = percentile(mine.latencies, 0.99);
  const window = `${LOOPS} idle loops, ${SSE_CLIENTS} SSE clients on /events, ${requests} sequential GET /runs${quick ? ' (quick)' : ''}`;
  const measures: Measure[] = [
    {
      id: 'supervisor/api-runs-p99',
      ours: p99,
      peer: { name: 'pm2-7-web-interface', value: percentile(theirs.latencies, 0.99) },
      unit: 'ms',
      target: '<=1',
      notes: `${window}; median ${median(mine.latencies).toFixed(2)} ms (PM2 ${median(theirs.latencies).toFixed(2)} ms: GET / of lib/HttpInterface.js, its process list over RPC)`,
    },
    {
      id: 'supervisor/api-rss',
      ours: mine.peakMb,
      peer: { name: 'pm2-7-daemon', value: theirs.peakMb },
      unit: 'MB',
      target: '<=1',
      notes: `${window}; peak RSS of the supervisor vs the PM2 God daemon under the same GETs`,
    },
    {
      id: 'supervisor/api-rss-budget',
      ours: mine.peakMb,
      peer: { name: 'pm2-7-daemon', value: theirs.peakMb },
      unit: 'MB',
      target: 'ours<=100',
      notes: window,
    },
  ];
  return measures;
};
