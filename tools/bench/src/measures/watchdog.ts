import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Bench, median } from '../harness.js';

const require = createRequire(import.meta.url);
/** The built watchdog package's entry, resolved the way an ESM import resolves it. */
const watchdogUrl = () => import.meta.resolve('@runwarden/watchdog');
/** Loaded at run time from its built package (never bundled into the bench). */
let superviseRun: typeof import('@runwarden/watchdog')['superviseRun'];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The q-quantile (nearest rank) of a list. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

/** Starts a process that only waits, as the thing that dies. */
function sleeper(): ChildProcess {
  return spawn('sleep', ['1000'], { stdio: 'ignore' });
}

/**
 * Peer for a child's death: a plain `child_process` `exit` listener (what PM2
 * and every Node supervisor use for processes they spawned). Latency = from
 * `kill(SIGKILL)` to the listener.
 */
async function peerChildDeaths(deaths: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; index < deaths; index++) {
    const child = sleeper();
    await once(child, 'spawn');
    await sleep(5);
    const exited = once(child, 'exit');
    const killedAt = performance.now();
    child.kill('SIGKILL');
    await exited;
    latencies.push(performance.now() - killedAt);
  }
  return latencies;
}

/**
 * Ours for a child's death: one `superviseRun` whose attempts are killed one
 * after the other; latency = from `kill(SIGKILL)` to the journalled `exited`
 * event (the event is written to disk before the callback runs).
 */
async function ourChildDeaths(deaths: number, workDir: string): Promise<number[]> {
  const latencies: number[] = [];
  const controller = new AbortController();
  let killedAt = 0;
  await superviseRun({
    command: 'sleep',
    args: ['1000'],
    runDir: mkdtempSync(join(workDir, 'child-deaths-')),
    maxResumes: deaths + 1,
    backoff: { initialMs: 0, maxMs: 0, jitter: 0 },
    idleTimeoutMs: 0,
    killGraceMs: 200,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === 'spawned' || event.type === 'resumed') {
        const pid = event.pid as number;
        setTimeout(() => {
          killedAt = performance.now();
          process.kill(pid, 'SIGKILL');
        }, 5);
      } else if (event.type === 'exited') {
        latencies.push(performance.now() - killedAt);
        if (latencies.length >= deaths) controller.abort();
      }
    },
  });
  return latencies;
}

/** Runs `work` for each index, `concurrency` at a time. */
async function inBatches(count: number, concurrency: number, work: () => Promise<number>) {
  const results: number[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, work);
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

/**
 * Peer for an adopted process's death: a 1 s `ps -p <pid>` poll, what shell
 * watchdogs in the field do (cc-ci's launch.sh loops on `pgrep` and `sleep`).
 * The kill lands at a random phase of the poll.
 */
async function peerAdoptedDeath(): Promise<number> {
  const stranger = sleeper();
  await once(stranger, 'spawn');
  const pid = stranger.pid!;
  let killedAt = 0;
  setTimeout(
    () => {
      killedAt = performance.now();
      stranger.kill('SIGKILL');
    },
    50 + Math.random() * 1000,
  );
  for (;;) {
    await sleep(1000);
    const alive = await new Promise<boolean>((resolve) =>
      execFile('ps', ['-p', String(pid), '-o', 'pid=,stat='], (error, stdout) =>
        resolve(!error && !/\bZ/.test(stdout)),
      ),
    );
    if (!alive && killedAt > 0) return performance.now() - killedAt;
  }
}

/** Ours for an adopted process's death: `superviseRun({adopt})`, identity polled every 200 ms. */
async function ourAdoptedDeath(workDir: string): Promise<number> {
  const stranger = sleeper();
  await once(stranger, 'spawn');
  let killedAt = 0;
  let latency = 0;
  await superviseRun({
    command: 'true',
    runDir: mkdtempSync(join(workDir, 'adopted-')),
    adopt: { pid: stranger.pid! },
    maxResumes: 1,
    backoff: { initialMs: 0, maxMs: 0, jitter: 0 },
    killGraceMs: 200,
    onEvent: (event) => {
      if (event.type === 'adopted')
        setTimeout(
          () => {
            killedAt = performance.now();
            stranger.kill('SIGKILL');
          },
          50 + Math.random() * 400,
        );
      if (event.type === 'exited' && latency === 0) latency = performance.now() - killedAt;
    },
  });
  return latency;
}

/** Streams `bytes` through either runwarden's watchdog or plain child_process piping, in a fresh Node process; returns its CPU ms and max RSS MB. */
async function streamOnce(
  mode: 'ours' | 'peer',
  bytes: number,
  workDir: string,
): Promise<{ cpuMs: number; maxRssMb: number }> {
  const agent = require.resolve('@runwarden/fake-agent');
  const watchdog = watchdogUrl();
  const runDir = mkdtempSync(join(workDir, `stream-${mode}-`));
  const agentArgs = [agent, '--output-bytes', String(bytes), '--turns', '0'];
  const driver =
    mode === 'ours'
      ? `const { superviseRun } = await import(${JSON.stringify(watchdog)});
         const before = process.cpuUsage();
         const result = await superviseRun({ command: process.execPath, args: ${JSON.stringify(agentArgs)},
           runDir: ${JSON.stringify(runDir)}, idleTimeoutMs: 60000 });
         if (result.reason !== 'OK') throw new Error(result.message);
         const cpu = process.cpuUsage(before);`
      : `const { spawn } = await import('node:child_process');
         const { createWriteStream } = await import('node:fs');
         const { once } = await import('node:events');
         const before = process.cpuUsage();
         const child = spawn(process.execPath, ${JSON.stringify(agentArgs)}, { stdio: ['ignore', 'pipe', 'pipe'] });
         child.stdout.pipe(createWriteStream(${JSON.stringify(join(runDir, 'stdout.log'))}));
         child.stderr.pipe(createWriteStream(${JSON.stringify(join(runDir, 'stderr.log'))}));
         await once(child, 'close');
         const cpu = process.cpuUsage(before);`;
  const code = `${driver}
    process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const [exitCode] = await once(child, 'exit');
  rmSync(runDir, { recursive: true, force: true });
  if (exitCode !== 0) throw new Error(`stream driver (${mode}) exited ${exitCode}`);
  return JSON.parse(output);
}

/**
 * The watchdog beside its peers: death-to-detection latency (p99) for a
 * child and for an adopted process, and the cost of supervising a child
 * that streams 50 MB (CPU of the supervising process, its max RSS).
 */
export const watchdogBench: Bench = async ({ quick, workDir }) => {
  ({ superviseRun } = (await import(watchdogUrl())) as typeof import('@runwarden/watchdog'));
  const childDeaths = 100;
  const adoptedDeaths = quick ? 20 : 100;
  const streamRounds = quick ? 2 : 5;
  const streamBytes = 50 * 1024 * 1024;
  const timings: string[] = [];
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await work();
    timings.push(`${name} ${((performance.now() - start) / 1000).toFixed(1)}s`);
    return result;
  };

  const peerChild = await timed('peer-child', () => peerChildDeaths(childDeaths));
  const ourChild = await timed('our-child', () => ourChildDeaths(childDeaths, workDir));
  const ourAdopted = await timed('our-adopted', () =>
    inBatches(adoptedDeaths, 10, () => ourAdoptedDeath(workDir)),
  );
  const peerAdopted = await timed('peer-adopted', () =>
    inBatches(adoptedDeaths, 30, peerAdoptedDeath),
  );

  const ours: { cpuMs: number; maxRssMb: number }[] = [];
  const peer: { cpuMs: number; maxRssMb: number }[] = [];
  await timed('streams', async () => {
    for (let round = 0; round < streamRounds; round++) {
      peer.push(await streamOnce('peer', streamBytes, workDir));
      ours.push(await streamOnce('ours', streamBytes, workDir));
    }
  });
  process.stderr.write(`bench: watchdog timings: ${timings.join(', ')}\n`);
  const cpu = (list: typeof ours) => median(list.map((item) => item.cpuMs));
  const rss = (list: typeof ours) => Math.max(...list.map((item) => item.maxRssMb));

  return [
    {
      id: 'watchdog/child-death-detection-p99',
      ours: quantile(ourChild, 0.99),
      peer: { name: 'node-exit-listener', value: quantile(peerChild, 0.99) },
      unit: 'ms',
      target: 'ours<=50',
      notes: `${childDeaths} SIGKILLs each; median ours ${median(ourChild).toFixed(2)} ms, peer ${median(peerChild).toFixed(2)} ms`,
    },
    {
      id: 'watchdog/adopted-death-detection-p99',
      ours: quantile(ourAdopted, 0.99),
      peer: { name: 'ps-poll-1s', value: quantile(peerAdopted, 0.99) },
      unit: 'ms',
      target: 'ours<=1000',
      notes: `${adoptedDeaths} SIGKILLs each, 10 (ours) / 30 (peer) at a time; identity polled every 200 ms; median ours ${median(ourAdopted).toFixed(0)} ms, peer ${median(peerAdopted).toFixed(0)} ms`,
    },
    {
      id: 'watchdog/stream-50mb-cpu',
      ours: cpu(ours),
      peer: { name: 'node-child_process-pipe', value: cpu(peer) },
      unit: 'ms-cpu',
      target: '<=1.5',
      notes: `median of ${streamRounds}; CPU (user+sys) of the supervising process while the child writes 50 MB`,
    },
    {
      id: 'watchdog/stream-50mb-rss',
      ours: rss(ours),
      peer: { name: 'node-child_process-pipe', value: rss(peer) },
      unit: 'MB',
      target: 'ours<=80',
      notes: `max RSS of the supervising process over ${streamRounds} runs`,
    },
  ];
};
