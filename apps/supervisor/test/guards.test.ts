import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '@runwarden/coordination-state';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GuardRow } from '../src/guards.js';
import { Supervisor } from '../src/supervisor.js';
import { eventually, fetchGuards, golden, normalize } from './guard-helpers.js';
import {
  agent,
  agentPids,
  cli,
  killAll,
  type RunningSupervisor,
  startSupervisor,
  supervisorEvents,
  until,
  writeConfig,
} from './helpers.js';

let dir: string;
let stateDir: string;
let supervisor: Supervisor | undefined;
const children: RunningSupervisor[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-guards-'));
  stateDir = join(dir, '.runtime');
  mkdirSync(join(dir, 'work'));
});
afterEach(async () => {
  await supervisor?.shutdown('INTERRUPTED', 'test over');
  supervisor = undefined;
  for (const child of children.splice(0)) {
    try {
      process.kill(child.pid, 'SIGCONT');
    } catch {
      // gone
    }
    killAll([child.pid]);
  }
  killAll(agentPids(stateDir, 'builder'));
  rmSync(dir, { recursive: true, force: true });
});

/** One loop with every guard on: a mission, startup, idle and progress timeout, a budget, a target, and the done file. */
const config = (run = 'idleTimeout: 30s') =>
  writeConfig(
    dir,
    `done: { file: work/plan.md, line: "## DONE", every: 500ms }
loops:
  builder:
    command: ["${process.execPath}", "${agent}", "--turns", "100000", "--turn-ms", "200", "--heartbeat", "beat"]
    target: owner/repo#7
    run: { missionTimeout: 1h, startupTimeout: 30s, ${run}, progressTimeout: 1m, heartbeatFile: beat, maxResumes: 3, killGrace: 500ms }
`,
  );

const apiUrl = () => JSON.parse(readFileSync(join(stateDir, 'supervisor', 'api.json'), 'utf8')).url;

/** Starts the supervisor in this process and waits until its watchdog ticks. */
async function startInProcess(): Promise<string> {
  supervisor = await Supervisor.start({
    configFile: join(dir, 'runwarden.yaml'),
    handleSignals: false,
  });
  const url = apiUrl();
  await ticking(url);
  return url;
}

/** Polls `/guards` until the builder's watchdog is seen ticking; returns those rows. */
async function ticking(url: string): Promise<GuardRow[]> {
  let rows: GuardRow[] = [];
  await eventually(
    async () => {
      rows = await fetchGuards(url);
      return rows.some((row) => row.guard === 'resume-budget' && row.reason.includes('ticks'));
    },
    20_000,
    "the builder's watchdog ticking",
  );
  return rows;
}

/** Polls `read` until `done` holds; returns the rows and how long it took from `sinceMs`. */
async function within(
  read: () => Promise<GuardRow[]>,
  done: (rows: GuardRow[]) => boolean,
  sinceMs: number,
  what: string,
): Promise<{ rows: GuardRow[]; tookMs: number }> {
  let rows: GuardRow[] = [];
  await eventually(
    async () => {
      rows = await read();
      return done(rows);
    },
    15_000,
    what,
  );
  return { rows, tookMs: performance.now() - sinceMs };
}

const states = (rows: GuardRow[]) => rows.map((row) => `${row.loop}/${row.guard}=${row.state}`);
const allConfiguredOn = (rows: GuardRow[]) =>
  rows.every((row) => row.state === 'on' || row.state === 'off-by-config') &&
  rows.some((row) => row.guard === 'resume-budget' && row.reason.includes('ticks'));

describe('GET /guards', () => {
  it('all on: every guard of a fully configured loop, and the done watcher, read from the running machinery', async () => {
    config();
    const url = await startInProcess();
    const rows = await fetchGuards(url);
    expect(states(rows).every((state) => state.endsWith('=on'))).toBe(true);
    await expect(golden(normalize(rows, dir))).toMatchFileSnapshot('fixtures/guards/all-on.json');
  });

  it('idle disabled in config: idle-timeout is off-by-config, the rest on', async () => {
    config('idleTimeout: 0');
    const url = await startInProcess();
    const rows = await fetchGuards(url);
    expect(rows.filter((row) => row.state !== 'on').map((row) => row.guard)).toEqual([
      'idle-timeout',
    ]);
    await expect(golden(normalize(rows, dir))).toMatchFileSnapshot(
      'fixtures/guards/idle-off-by-config.json',
    );
  });

  it('watchdog stopped with SIGSTOP: divergent within 10 s (the reader outside the stopped process says so), on within 10 s of SIGCONT', async () => {
    // The loops' watchdogs run inside the supervisor (issue 11: one process, not 20), so SIGSTOP
    // stops every watchdog tick and the HTTP server with them: nothing inside a stopped process can
    // speak. The readers outside it, `status` and the page, must then show every configured guard
    // divergent (a green row from a process that cannot run would be the silent green). After
    // SIGCONT the watchdogs tick again and GET /guards reads on: the same rows as the all-on case.
    config();
    const child = startSupervisor(dir);
    children.push(child);
    await until(
      () => {
        try {
          return apiUrl();
        } catch {
          return undefined;
        }
      },
      20_000,
      'the API',
    );
    const url = apiUrl();
    const before = await ticking(url);
    expect(allConfiguredOn(before)).toBe(true);

    process.kill(child.pid, 'SIGSTOP');
    const stoppedAt = performance.now();
    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) }).then(
      (response) => response.status,
      () => 'no answer',
    );
    expect(health).toBe('no answer');
    const stopped = await within(
      async () => {
        const { code, stdout } = await cli(dir, ['status', '--json']);
        expect(code).toBe(0);
        const body = JSON.parse(stdout);
        expect(body.supervisor).toMatchObject({
          pid: child.pid,
          answering: false,
          processState: 'T',
        });
        return body.guards as GuardRow[];
      },
      (rows) => rows.every((row) => row.state === 'off-runtime-divergent'),
      stoppedAt,
      'status to call every guard divergent',
    );
    expect(stopped.tookMs).toBeLessThan(10_000);
    await expect(golden(normalize(stopped.rows, dir))).toMatchFileSnapshot(
      'fixtures/guards/sigstop.json',
    );

    process.kill(child.pid, 'SIGCONT');
    const continuedAt = performance.now();
    const resumed = await within(() => fetchGuards(url), allConfiguredOn, continuedAt, 'on again');
    expect(resumed.tookMs).toBeLessThan(10_000);
    await expect(golden(normalize(resumed.rows, dir))).toMatchFileSnapshot(
      'fixtures/guards/all-on.json',
    );
    const { stdout } = await cli(dir, ['status', '--json']);
    expect(JSON.parse(stdout).guards.map((row: GuardRow) => row.state)).toEqual(
      resumed.rows.map((row) => row.state),
    );
    // The supervisor itself records that it did not run meanwhile.
    const stall = supervisorEvents(stateDir).find((event) => event.type === 'supervisor-stalled');
    expect(Number(stall?.stalledMs)).toBeGreaterThan(1000);
    process.kill(child.pid, 'SIGTERM');
    expect(await child.exited).toBe(130);
  });

  it("done file's directory removed: the done watcher is divergent within 10 s, on again within 10 s", async () => {
    config();
    const url = await startInProcess();
    rmSync(join(dir, 'work'), { recursive: true });
    const removedAt = performance.now();
    const gone = await within(
      () => fetchGuards(url),
      (rows) => rows.at(-1)!.state === 'off-runtime-divergent',
      removedAt,
      'the done watcher divergent',
    );
    expect(gone.tookMs).toBeLessThan(10_000);
    expect(states(gone.rows).filter((state) => !state.endsWith('=on'))).toEqual([
      'null/done-watcher=off-runtime-divergent',
    ]);
    await expect(golden(normalize(gone.rows, dir))).toMatchFileSnapshot(
      'fixtures/guards/done-directory-removed.json',
    );
    mkdirSync(join(dir, 'work'));
    const back = await within(
      () => fetchGuards(url),
      allConfiguredOn,
      performance.now(),
      'on again',
    );
    expect(back.tookMs).toBeLessThan(10_000);
  });

  it('the run lock removed under a live run: divergent at once, and the run ends on the lock loss', async () => {
    config();
    const url = await startInProcess();
    const runId = supervisor!.loops()[0]!.runId;
    unlinkSync(join(stateDir, 'loops', 'builder', 'RUN.lock'));
    const lost = await within(
      () => fetchGuards(url),
      (rows) => rows.find((row) => row.guard === 'run-lock')!.state === 'off-runtime-divergent',
      performance.now(),
      'the run lock divergent',
    );
    expect(lost.tookMs).toBeLessThan(10_000);
    expect(lost.rows.find((row) => row.guard === 'run-lock')).toMatchObject({
      effective: 'lost',
      reason: `${join(stateDir, 'loops', 'builder', 'RUN.lock')} was removed while run ${runId} holds it`,
    });
    // lock-core's heartbeat finds the loss (every 20 s); the watchdog then ends the run, and the
    // next run holds a new lock.
    const next = await until(
      () => {
        const loop = supervisor!.loops()[0]!;
        return loop.runId !== runId && loop.state === 'running' && loop;
      },
      45_000,
      'the next run',
    );
    expect(next.lastReason).toBe('LOCK_HELD');
    const rows = await ticking(url);
    expect(rows.find((row) => row.guard === 'run-lock')).toMatchObject({
      state: 'on',
      lastFiredAt: expect.any(String),
    });
  }, 60_000);

  it('the target lease taken from the run: the row reads the store and turns at once', async () => {
    config();
    const url = await startInProcess();
    const runId = supervisor!.loops()[0]!.runId!;
    const store = new FileStore({ directory: join(stateDir, 'coordination') });
    expect((await store.release('owner/repo#7', runId)).ok).toBe(true);
    const lost = await within(
      () => fetchGuards(url),
      (rows) => rows.find((row) => row.guard === 'target-lease')!.state === 'off-runtime-divergent',
      performance.now(),
      'the target lease divergent',
    );
    expect(lost.tookMs).toBeLessThan(10_000);
    expect(lost.rows.find((row) => row.guard === 'target-lease')).toMatchObject({
      configured: 'owner/repo#7',
      effective: 'lost',
      reason: `Target owner/repo#7 has no active runner ownership record for run ${runId}.`,
    });
  });

  it('a reloaded config the live run does not follow yet reads divergent until the next run', async () => {
    config();
    const url = await startInProcess();
    config('idleTimeout: 45s');
    supervisor!.reload();
    const rows = await fetchGuards(url);
    expect(rows.filter((row) => row.state !== 'on')).toEqual([
      {
        loop: 'builder',
        guard: 'idle-timeout',
        configured: '45s',
        effective: '30s',
        state: 'off-runtime-divergent',
        reason: 'the live run keeps 30s until its next run (the config was reloaded)',
        lastFiredAt: null,
      },
    ]);
    await supervisor!.restartLoop('builder');
    const after = await ticking(url);
    expect(after.find((row) => row.guard === 'idle-timeout')).toMatchObject({
      configured: '45s',
      effective: '45s',
      state: 'on',
    });
  });

  it('a fatal loop: none of its guards is in force', async () => {
    writeConfig(
      dir,
      `loops:
  builder:
    command: "exit 1"
    run: { maxResumes: 0, killGrace: 500ms }
    restart: { backoff: { initial: 10ms, max: 10ms }, giveUp: { restarts: 1, within: 1m } }
`,
    );
    supervisor = await Supervisor.start({
      configFile: join(dir, 'runwarden.yaml'),
      handleSignals: false,
    });
    await until(() => supervisor!.loops()[0]!.state === 'fatal', 20_000, 'fatal');
    const rows = await fetchGuards(apiUrl());
    expect(rows.filter((row) => row.loop === 'builder').map((row) => row.state)).toEqual([
      'off-by-config',
      'off-runtime-divergent',
      'off-runtime-divergent',
      'off-by-config',
      'off-runtime-divergent',
      'off-runtime-divergent',
      'off-by-config',
      'off-runtime-divergent',
    ]);
    await expect(golden(normalize(rows, dir))).toMatchFileSnapshot('fixtures/guards/fatal.json');
  });
});
