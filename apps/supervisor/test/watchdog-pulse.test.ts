import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryAcquire } from '@runwarden/lock-core';
import { newRunId, superviseRun } from '@runwarden/watchdog';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { judgeLoopGuards, LoopWitness } from '../src/loop-guards.js';
import { runOptions } from '../src/run-options.js';
import { agent, alive, until } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-pulse-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Blocks this thread: no timer of it runs meanwhile, as when the process is SIGSTOPped or its event loop stalls. */
const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const watchdogGuards = ['mission-timeout', 'startup-timeout', 'idle-timeout', 'resume-budget'];

describe("a loop's guards read from its watchdog's pulse", () => {
  it('turn divergent when the watchdog has not ticked for 3 of its intervals, and on when it ticks again', async () => {
    const config = parseConfig(
      `loops:
  builder:
    command: ["${process.execPath}", "${agent}", "--turns", "100000", "--turn-ms", "100"]
    run: { missionTimeout: 1h, idleTimeout: 30s, killGrace: 500ms }
`,
      join(dir, 'runwarden.yaml'),
    ).loops[0]!;
    const runId = newRunId();
    const lockPath = join(dir, 'RUN.lock');
    const lock = await tryAcquire(lockPath, { runId });
    const witness = new LoopWitness();
    const controller = new AbortController();
    let pid: number | undefined;
    const run = superviseRun(
      runOptions({
        config,
        runId,
        runDir: join(dir, 'run'),
        lock,
        signal: controller.signal,
        adopting: undefined,
        onEvent: (event) => {
          if (event.type === 'spawned') pid = event.pid as number;
          witness.onRunEvent(event);
        },
        onPulse: (pulse) => witness.onPulse(pulse),
      }),
    );
    const judge = () =>
      judgeLoopGuards({
        config,
        state: 'running',
        lastReason: null,
        lastMessage: null,
        restarts: 0,
        witness,
        live: { runId, lock },
        lockPath,
      });
    const watchdogRows = async () =>
      (await judge()).filter((row) => watchdogGuards.includes(row.guard));
    try {
      await until(() => witness.pulse?.phase === 'watching', 10_000, 'the first pulse');
      expect((await watchdogRows()).map((row) => row.state)).toEqual(['on', 'on', 'on', 'on']);
      expect(witness.pulse!.intervalMs).toBe(250);

      // The real ticker cannot run while the thread is blocked; the judgement is read the
      // moment the thread runs again, before any timer: what a reader sees of a stopped watchdog.
      stall(1500);
      const stalled = await watchdogRows();
      expect(stalled.map((row) => `${row.guard}=${row.state}/${row.effective}`)).toEqual(
        watchdogGuards.map((guard) => `${guard}=off-runtime-divergent/not ticking`),
      );
      expect(stalled[0]!.reason).toMatch(
        /^the watchdog has not ticked for 1\.\ds \(3 × its 250ms interval\): none of its checks can fire$/,
      );
      // The agent was fine all along; only its watchdog did not run.
      expect(alive(pid!)).toBe(true);

      const resumedAt = performance.now();
      await until(
        () => witness.pulse && witness.pulse.atMs > Date.now() - 100,
        5000,
        'a new pulse',
      );
      expect((await watchdogRows()).map((row) => row.state)).toEqual(['on', 'on', 'on', 'on']);
      expect(performance.now() - resumedAt).toBeLessThan(1000);
    } finally {
      controller.abort();
      await run;
      await lock.release();
    }
    // The watchdog said its ticker stopped when the attempt ended: no tick is expected, none is missing.
    expect(witness.pulse?.phase).toBe('between');
    expect(alive(pid!)).toBe(false);
  });
});
