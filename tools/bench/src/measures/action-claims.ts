import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@runwarden/test-utils';
import { type Bench, median } from '../harness.js';

const require = createRequire(import.meta.url);
const watchdogDir = dirname(require.resolve('@runwarden/watchdog/package.json'));
/** The built watchdog package's entry, resolved the way an ESM import resolves it. */
const watchdogUrl = () => import.meta.resolve('@runwarden/watchdog');

/** What a supervised agent prints, by kind (one template a line), and how often (weights). */
const OUTPUT_KINDS: { weight: number; lines: string[] }[] = [
  {
    weight: 20,
    lines: [
      'Let me look at how the scheduler handles retries.',
      "Now I'll check the tests for the date parser.",
      'The failing assertion compares local time with UTC.',
      'I see the problem: the cache key ignores the locale.',
      'I am going to read the config loader first.',
      'This function is called from three places; only one passes a timeout.',
    ],
  },
  {
    weight: 35,
    lines: [
      'export function parseSchedule(text: string, now = Date.now()): Schedule {',
      "  const [minute, hour] = text.trim().split(/\\s+/, 2).map((part) => part ?? '*');",
      "  if (!Number.isFinite(limit)) throw new RangeError('bad limit: ' + String(limit));",
      '    return { ok: false, reason: "timeout", retryAfterMs: backoff(attempt) };',
      '}',
      "import { readFile } from 'node:fs/promises';",
    ],
  },
  {
    weight: 15,
    lines: [
      ' ✓ src/schedule.test.ts (24 tests) 31ms',
      ' × src/parse.test.ts > parses a range with a step 4ms',
      '   → expected 15 to be 30',
      ' Test Files  1 failed | 11 passed (12)',
    ],
  },
  {
    weight: 15,
    lines: [
      '2026-11-26T10:00:00.123Z INFO worker started pid=4312 queue=builds',
      '2026-11-26T10:00:01.480Z WARN retrying request to https://api.internal/v2/jobs (attempt 2)',
      '[build] compiled 214 modules in 1.8s',
    ],
  },
  {
    weight: 10,
    lines: [
      '{"type":"tool_use","name":"Bash","input":{"command":"pnpm test --filter api"}}',
      '{"type":"tool_result","content":"3 files changed, 41 insertions(+), 7 deletions(-)"}',
      '',
    ],
  },
];

/** One line in this many is a sentence of the classifier's truth table (claims and near misses). */
const TABLE_LINE_EVERY = 200;

/** Writes `bytes` of agent-like output to `path`; returns its line count. */
function writeCorpus(path: string, bytes: number): number {
  const table = (
    JSON.parse(
      readFileSync(join(watchdogDir, 'test', 'fixtures', 'action-claims.json'), 'utf8'),
    ) as { text: string }[]
  ).map((row) => row.text.replace(/\n/g, ' '));
  const next = seededRandom(14);
  const total = OUTPUT_KINDS.reduce((sum, kind) => sum + kind.weight, 0);
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    let line: string;
    if (next() * TABLE_LINE_EVERY < 1) line = table[Math.floor(next() * table.length)]!;
    else {
      let pick = next() * total;
      let kind = OUTPUT_KINDS[0]!;
      for (const entry of OUTPUT_KINDS) {
        kind = entry;
        pick -= entry.weight;
        if (pick < 0) break;
      }
      line = kind.lines[Math.floor(next() * kind.lines.length)]!;
    }
    lines.push(line);
    size += Buffer.byteLength(line) + 1;
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return lines.length;
}

/** CPU ms of hearing claims in `corpus` (64 KiB chunks, the pipe's size), in this process. */
async function hearInProcess(corpus: Buffer): Promise<{ cpuMs: number; claims: number }> {
  const { createActionClaimSubscriber } = (await import(
    watchdogUrl()
  )) as typeof import('@runwarden/watchdog');
  let claims = 0;
  const subscriber = createActionClaimSubscriber({ onClaim: () => claims++ });
  const before = process.cpuUsage();
  for (let start = 0; start < corpus.length; start += 65_536)
    subscriber(corpus.subarray(start, start + 65_536), { stream: 'stdout', attempt: 1 });
  subscriber.flush();
  const cpu = process.cpuUsage(before);
  return { cpuMs: (cpu.user + cpu.system) / 1000, claims };
}

/** CPU ms of classifying every line with `classifyActionClaim` (no gate), on a sample of lines. */
async function classifyEveryLine(lines: string[]): Promise<number> {
  const { classifyActionClaim } = (await import(
    watchdogUrl()
  )) as typeof import('@runwarden/watchdog');
  const before = process.cpuUsage();
  for (const line of lines) classifyActionClaim(line);
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1000;
}

/** The agent that prints the transcript line by line and records its own CPU. */
const agentScript = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'src',
  'measures',
  'action-claims-agent.mjs',
);

/**
 * Supervises a child that prints the transcript, in a fresh Node process, with
 * or without the claims subscriber. `cat` hands the watchdog 64 KiB chunks
 * (its cheapest bytes: the worst case for the claims' share); `agent` prints
 * one line per write, as an agent CLI does. Returns the supervising process's
 * CPU ms, and the child's (the agent's own count; 0 for `cat`).
 */
async function superviseOnce(
  settings: { claims: boolean; child: 'cat' | 'agent'; transcript: string },
  workDir: string,
): Promise<{ supervisorMs: number; childMs: number }> {
  const runDir = mkdtempSync(join(workDir, `claims-${settings.claims ? 'on' : 'off'}-`));
  const cpuFile = join(runDir, 'agent-cpu.json');
  const [command, args] =
    settings.child === 'cat'
      ? ['cat', [settings.transcript]]
      : [process.execPath, [agentScript, settings.transcript, cpuFile]];
  const code = `const watchdog = await import(${JSON.stringify(watchdogUrl())});
    const subscribers = ${settings.claims} ? [watchdog.createActionClaimSubscriber({ onClaim: () => undefined })] : [];
    const before = process.cpuUsage();
    const result = await watchdog.superviseRun({ command: ${JSON.stringify(command)}, args: ${JSON.stringify(args)},
      runDir: ${JSON.stringify(join(runDir, 'run'))}, idleTimeoutMs: 60000, subscribers });
    if (result.reason !== 'OK') throw new Error(result.message);
    const cpu = process.cpuUsage(before);
    process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 }));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const [exitCode] = await once(child, 'exit');
  try {
    if (exitCode !== 0) throw new Error(`claims stream driver exited ${exitCode}`);
    const childMs =
      settings.child === 'agent'
        ? (JSON.parse(readFileSync(cpuFile, 'utf8')) as { cpuMs: number }).cpuMs
        : 0;
    return { supervisorMs: (JSON.parse(output) as { cpuMs: number }).cpuMs, childMs };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

/**
 * Action claims beside the watchdog's own stream cost: how many lines a
 * second the claims subscriber hears (its fast gate and the classifier on
 * the lines that pass it) against classifying every line, and the CPU that
 * enabling claims adds to a supervised run that prints 100 MB of agent-like
 * output (code, test and log lines, prose, one truth-table sentence in 200):
 * the whole run's CPU with an agent printing line by line, and the worst case
 * of the supervising process alone fed 64 KiB chunks by `cat`.
 */
export const actionClaimsBench: Bench = async ({ quick, workDir }) => {
  const bytes = (quick ? 20 : 100) * 1024 * 1024;
  const rounds = quick ? 2 : 5;
  const path = join(workDir, 'agent-output.txt');
  const lineCount = writeCorpus(path, bytes);
  const corpus = readFileSync(path);
  const megabytes = Math.round(bytes / 1024 / 1024);

  const sample = corpus.toString('utf8').split('\n').slice(0, 200_000);
  // One untimed round of each first: the rounds measure the steady state of a
  // long-running supervisor, not V8 compiling the regular expressions and the
  // classifier (in quick mode, two rounds of 20 MB, that warm-up was a third
  // of the figure).
  await hearInProcess(corpus);
  await classifyEveryLine(sample);
  // The in-process rounds are cheap (a tenth of a second each in quick mode): five in both modes.
  const hearRounds = 5;
  const heard: { cpuMs: number; claims: number }[] = [];
  for (let round = 0; round < hearRounds; round++) heard.push(await hearInProcess(corpus));
  const naive: number[] = [];
  for (let round = 0; round < hearRounds; round++) naive.push(await classifyEveryLine(sample));

  const runs = { catOn: [], catOff: [], agentOn: [], agentOff: [] } as Record<
    'catOn' | 'catOff' | 'agentOn' | 'agentOff',
    { supervisorMs: number; childMs: number }[]
  >;
  for (let round = 0; round < rounds; round++) {
    for (const child of ['cat', 'agent'] as const) {
      runs[`${child}Off`].push(
        await superviseOnce({ claims: false, child, transcript: path }, workDir),
      );
      runs[`${child}On`].push(
        await superviseOnce({ claims: true, child, transcript: path }, workDir),
      );
    }
  }
  const supervisor = (list: { supervisorMs: number }[]) =>
    median(list.map((entry) => entry.supervisorMs));
  const wholeRun = (list: { supervisorMs: number; childMs: number }[]) =>
    median(list.map((entry) => entry.supervisorMs + entry.childMs));
  const hearMs = median(heard.map((entry) => entry.cpuMs));
  const ours = lineCount / (hearMs / 1000);
  const naiveLinesPerS = sample.length / (median(naive) / 1000);
  return [
    {
      id: 'watchdog/action-claims-lines-per-s',
      ours,
      peer: { name: 'classify-every-line', value: naiveLinesPerS },
      unit: 'lines/s',
      target: '>=10',
      notes: `${megabytes} MB, ${lineCount} lines, ${heard[0]!.claims} claims heard; median CPU ${hearMs.toFixed(0)} ms over ${hearRounds} rounds after one untimed round (${(megabytes / (hearMs / 1000)).toFixed(0)} MB/s)`,
    },
    {
      id: `watchdog/action-claims-run-${megabytes}mb-cpu`,
      ours: wholeRun(runs.agentOn),
      peer: { name: 'run-without-claims', value: wholeRun(runs.agentOff) },
      unit: 'ms-cpu',
      target: '<=1.1',
      notes: `median of ${rounds}; CPU of the whole run (the supervising process plus an agent printing the ${megabytes} MB one line per write), claims on vs off; the supervising process alone: ${supervisor(runs.agentOn).toFixed(0)} vs ${supervisor(runs.agentOff).toFixed(0)} ms`,
    },
    {
      id: `watchdog/action-claims-stream-${megabytes}mb-cpu`,
      ours: supervisor(runs.catOn),
      peer: { name: 'watchdog-without-claims', value: supervisor(runs.catOff) },
      unit: 'ms-cpu',
      target: '<=1.1',
      notes: `median of ${rounds}; the worst case: CPU of the supervising process alone while \`cat\` hands it the ${megabytes} MB in 64 KiB chunks (the watchdog's cheapest bytes), claims on vs off`,
    },
  ];
};
