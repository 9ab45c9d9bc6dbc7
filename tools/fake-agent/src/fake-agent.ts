#!/usr/bin/env node
/**
 * fake-agent: behaves like an agent CLI (`opencode run`, `claude -p`) in the
 * ways they fail, on cue. Progress across lives (resumes) is kept in the
 * `--state` file, so "DONE after N turns in total" survives deaths.
 *
 *   --turns N            turns per life before ending the turn (exit 0)      [3]
 *   --turn-ms MS         time between turns                                   [100]
 *   --state FILE         progress file: {"totalTurns", "lives"}
 *   --done-file PATH     write this file once --done-after turns are done, then exit 0
 *   --done-after N       total turns (across lives) needed for DONE           [6]
 *   --hang-after N       go silent (alive, no output) after N turns of a life
 *   --hang-on-life K     hang only in life K (1-based); default every life
 *   --crash-after N      exit --crash-code after N turns of a life
 *   --crash-code C       [1]
 *   --crash-lives K      crash only in the first K lives; later lives run clean
 *   --ignore-sigterm     ignore SIGTERM (also in the grandchild)
 *   --grandchild         spawn a grandchild that sleeps forever
 *   --setsid-grandchild  the grandchild escapes with setsid (detached)
 *   --clear-env          the grandchild drops RUNWARDEN_RUN_ID from its env
 *   --silent-start-ms MS wait this long before the first output
 *   --result-then-hang   print a result line and a `## DONE` line, then never exit
 *   --quota-message TXT  print TXT and exit 0 (a rate limit that exits 0)
 *   --quota-lives K      print the quota message only in the first K lives    [all]
 *   --pause-after N      after turn N of each life, pause once (a long legitimate think)
 *   --pause-ms MS        how long that pause lasts                            [1000]
 *   --crash-at-start     exit --crash-code right after the first line, before any turn
 *   --echo-prompt        first print a prompt that mentions `## DONE` (must not count as done)
 *   --checkpoint-log F   append the RUNWARDEN_CHECKPOINT received to F, one line a life
 *   --output-bytes N     write N bytes of output (64 KB writes), then carry on
 *   --serve-port N       be a service: answer HTTP 200 on 127.0.0.1:N
 *   --serve-delay-ms MS  wait this long before listening                      [0]
 *   --die-after-ms MS    (service) exit 1 this long after listening
 *   --read-stdin         read stdin to EOF first (hangs if stdin stays open)
 *   --heartbeat FILE     touch FILE at every turn
 *   --pid-file FILE      append "<role> <pid>" lines for this process and its grandchild
 *   --fork-loop          fork a `sleep` child every few ms forever
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    turns: { type: 'string', default: '3' },
    'turn-ms': { type: 'string', default: '100' },
    state: { type: 'string' },
    'done-file': { type: 'string' },
    'done-after': { type: 'string', default: '6' },
    'hang-after': { type: 'string' },
    'hang-on-life': { type: 'string' },
    'crash-after': { type: 'string' },
    'crash-code': { type: 'string', default: '1' },
    'crash-lives': { type: 'string' },
    'ignore-sigterm': { type: 'boolean', default: false },
    grandchild: { type: 'boolean', default: false },
    'setsid-grandchild': { type: 'boolean', default: false },
    'clear-env': { type: 'boolean', default: false },
    'silent-start-ms': { type: 'string' },
    'result-then-hang': { type: 'boolean', default: false },
    'quota-message': { type: 'string' },
    'quota-lives': { type: 'string' },
    'pause-after': { type: 'string' },
    'pause-ms': { type: 'string', default: '1000' },
    'crash-at-start': { type: 'boolean', default: false },
    'echo-prompt': { type: 'boolean', default: false },
    'checkpoint-log': { type: 'string' },
    'output-bytes': { type: 'string' },
    'serve-port': { type: 'string' },
    'serve-delay-ms': { type: 'string', default: '0' },
    'die-after-ms': { type: 'string' },
    'read-stdin': { type: 'boolean', default: false },
    heartbeat: { type: 'string' },
    'pid-file': { type: 'string' },
    'fork-loop': { type: 'boolean', default: false },
    role: { type: 'string' },
  },
  strict: true,
});

const number = (value: string | undefined): number | undefined =>
  value === undefined ? undefined : Number(value);
/**
 * Exits once stdout and stderr have flushed: on a pipe that the reader drains
 * slowly, Node.js queues writes, and a bare `process.exit` drops what is queued.
 */
function exitAfterFlush(code: number): Promise<never> {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
  // Nothing after the call runs: the caller awaits this until the exit.
  return new Promise<never>(() => undefined);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const forever = () => setInterval(() => undefined, 1 << 30);

if (values['pid-file'])
  appendFileSync(values['pid-file'], `${values.role ?? 'agent'} ${process.pid}\n`);

if (values.role === 'grandchild') {
  if (values['ignore-sigterm']) process.on('SIGTERM', () => undefined);
  // Tell the parent we are up (our pid is in the pid file by now).
  process.stdout.write('ready\n');
  forever();
} else if (values['serve-port'] !== undefined) {
  await serve();
} else {
  await main();
}

async function serve(): Promise<void> {
  await sleep(number(values['serve-delay-ms']) ?? 0);
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('ok\n');
  });
  server.listen(Number(values['serve-port']), '127.0.0.1');
  await once(server, 'listening');
  process.stdout.write(`fake-agent: serving on ${values['serve-port']}\n`);
  const dieAfter = number(values['die-after-ms']);
  if (dieAfter !== undefined)
    setTimeout(() => {
      process.stderr.write('fake-agent: service dying\n');
      void exitAfterFlush(1);
    }, dieAfter);
}

async function main(): Promise<void> {
  if (values['ignore-sigterm'])
    process.on('SIGTERM', () => process.stdout.write('fake-agent: ignoring SIGTERM\n'));
  const statePath = values.state;
  const state: { totalTurns: number; lives: number } =
    statePath && existsSync(statePath)
      ? JSON.parse(readFileSync(statePath, 'utf8'))
      : { totalTurns: 0, lives: 0 };
  state.lives += 1;
  const save = () => {
    if (statePath) writeFileSync(statePath, JSON.stringify(state));
  };
  save();

  if (values['read-stdin']) {
    for await (const _chunk of process.stdin) {
      // drain until EOF
    }
    process.stdout.write('fake-agent: stdin closed\n');
  }
  if (values.grandchild || values['setsid-grandchild']) {
    const env = { ...process.env };
    if (values['clear-env']) delete env.RUNWARDEN_RUN_ID;
    const args = [process.argv[1]!, '--role', 'grandchild'];
    if (values['ignore-sigterm']) args.push('--ignore-sigterm');
    if (values['pid-file']) args.push('--pid-file', values['pid-file']);
    const child = spawn(process.execPath, args, {
      detached: values['setsid-grandchild'],
      stdio: ['ignore', 'pipe', 'ignore'],
      env,
    });
    // Go on only once the grandchild runs, so tests never race its start.
    await new Promise<void>((resolve) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', () => resolve());
    });
    child.stdout!.destroy();
    child.unref();
  }
  if (values['fork-loop']) {
    setInterval(() => {
      spawn('sleep', ['30'], { stdio: 'ignore' }).unref();
    }, 5);
  }
  const silentStart = number(values['silent-start-ms']);
  if (silentStart) await sleep(silentStart);
  if (values['checkpoint-log'])
    appendFileSync(values['checkpoint-log'], `${process.env.RUNWARDEN_CHECKPOINT ?? '-'}\n`);
  if (values['echo-prompt'])
    process.stdout.write('fake-agent: prompt: work through PLAN.md, then print ## DONE\n');
  const quotaLives = number(values['quota-lives']);
  if (values['quota-message'] && (quotaLives === undefined || state.lives <= quotaLives)) {
    process.stdout.write(`${values['quota-message']}\n`);
    await exitAfterFlush(0);
  }
  process.stdout.write(
    `fake-agent: life ${state.lives}, ${state.totalTurns} turn(s) done before\n`,
  );
  if (values['crash-at-start']) {
    process.stderr.write(`fake-agent: crashing at start with code ${values['crash-code']}\n`);
    await exitAfterFlush(Number(values['crash-code']));
  }
  const outputBytes = number(values['output-bytes']);
  if (outputBytes) {
    const block = Buffer.alloc(65_536, 'x\n'.repeat(32_768));
    let left = outputBytes;
    while (left > 0) {
      const piece = left >= block.length ? block : block.subarray(0, left);
      if (!process.stdout.write(piece)) await once(process.stdout, 'drain');
      left -= piece.length;
    }
  }
  if (values['result-then-hang']) {
    process.stdout.write('fake-agent: RESULT: all done\n## DONE\n');
    forever();
    return;
  }

  const turns = number(values.turns) ?? 3;
  const turnMs = number(values['turn-ms']) ?? 100;
  const doneAfter = number(values['done-after']) ?? 6;
  const hangAfter = number(values['hang-after']);
  const hangOnLife = number(values['hang-on-life']);
  const crashAfter = number(values['crash-after']);
  const crashLives = number(values['crash-lives']);
  const pauseAfter = number(values['pause-after']);
  for (let turn = 1; turn <= turns; turn++) {
    await sleep(
      pauseAfter !== undefined && turn === pauseAfter + 1
        ? (number(values['pause-ms']) ?? 1000)
        : turnMs,
    );
    state.totalTurns += 1;
    save();
    if (values.heartbeat)
      writeFileSync(
        values.heartbeat,
        JSON.stringify({
          sessionId: 'fake-session-1',
          lastTask: `turn ${state.totalTurns}`,
          turn: state.totalTurns,
          at: new Date().toISOString(),
        }),
      );
    process.stdout.write(`fake-agent: turn ${state.totalTurns} done\n`);
    if (values['done-file'] && state.totalTurns >= doneAfter) {
      writeFileSync(values['done-file'], `## DONE after ${state.totalTurns} turns\n`);
      process.stdout.write('fake-agent: ## DONE\n');
      await exitAfterFlush(0);
    }
    if (
      crashAfter !== undefined &&
      turn >= crashAfter &&
      (crashLives === undefined || state.lives <= crashLives)
    ) {
      process.stderr.write(`fake-agent: crashing with code ${values['crash-code']}\n`);
      await exitAfterFlush(Number(values['crash-code']));
    }
    if (
      hangAfter !== undefined &&
      turn >= hangAfter &&
      (hangOnLife === undefined || hangOnLife === state.lives)
    ) {
      process.stderr.write('fake-agent: (hanging silently)\n');
      forever();
      return;
    }
  }
  process.stdout.write('fake-agent: turn ended; exiting like `opencode run` does\n');
  await exitAfterFlush(0);
}
