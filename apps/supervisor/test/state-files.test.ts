import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, fetchGuards } from './guard-helpers.js';
import {
  agent,
  agentPids,
  cli,
  killAll,
  type RunningSupervisor,
  startSupervisor,
  until,
  writeConfig,
} from './helpers.js';

let dir: string;
let stateDir: string;
let running: RunningSupervisor | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'supervisor-state-'));
  stateDir = join(dir, '.runtime');
});
afterEach(() => {
  if (running) killAll([running.pid]);
  running = undefined;
  killAll(agentPids(stateDir, 'builder'));
  rmSync(dir, { recursive: true, force: true });
});

const mkfifo = (path: string) => execFileSync('mkfifo', [path]);
const builder = `  builder:
    command: ["${process.execPath}", "${agent}", "--turns", "100000", "--turn-ms", "200"]
    run: { killGrace: 500ms }`;

describe('state files by the safe-fs rule (a FIFO never blocks the supervisor)', () => {
  it('a FIFO at the done file: the supervisor runs on, the done watcher is divergent at once, SIGTERM ends it', async () => {
    writeConfig(
      dir,
      `done: { file: plan.md, line: "## DONE", every: 100ms }\nloops:\n${builder}\n`,
    );
    mkfifo(join(dir, 'plan.md'));
    running = startSupervisor(dir);
    const apiFile = join(stateDir, 'supervisor', 'api.json');
    const { url } = await until(
      () => {
        try {
          return JSON.parse(readFileSync(apiFile, 'utf8')) as { url: string };
        } catch {
          return undefined;
        }
      },
      20_000,
      'the API',
    );
    const started = performance.now();
    const row = await eventually(
      async () =>
        (await fetchGuards(url)).find(
          (guard) => guard.guard === 'done-watcher' && guard.state === 'off-runtime-divergent',
        ),
      10_000,
      'the done watcher divergent',
    );
    expect(performance.now() - started).toBeLessThan(5000);
    expect(row).toMatchObject({
      effective: 'not a regular file',
      reason: `${join(dir, 'plan.md')} is a FIFO, not a regular file. The done condition can never be seen.`,
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    process.kill(running.pid, 'SIGTERM');
    expect(await running.exited).toBe(130);
  }, 60_000);

  it("a FIFO at a loop's state file: start and status exit 7 naming it, in milliseconds", async () => {
    writeConfig(dir, `loops:\n${builder}\n`);
    mkdirSync(join(stateDir, 'loops', 'builder'), { recursive: true, mode: 0o700 });
    const state = join(stateDir, 'loops', 'builder', 'loop.json');
    mkfifo(state);
    const started = performance.now();
    running = startSupervisor(dir);
    expect(await running.exited).toBe(7);
    expect(running.output()).toContain(`INVALID_STATE: ${state} is a FIFO, not a regular file.`);
    const status = await cli(dir, ['status', '--json']);
    expect(status.code).toBe(7);
    expect(JSON.parse(status.stdout)).toMatchObject({
      ok: false,
      reason: 'INVALID_STATE',
      path: state,
      problem: 'not-regular-file',
    });
    expect(performance.now() - started).toBeLessThan(10_000);
    running = undefined;
  }, 60_000);

  it('a symlink at the journal or the state directory is refused (exit 7), its target untouched', async () => {
    writeConfig(dir, `loops:\n${builder}\n`);
    mkdirSync(join(stateDir, 'supervisor'), { recursive: true, mode: 0o700 });
    const target = join(dir, 'elsewhere.txt');
    writeFileSync(target, 'not a journal\n');
    symlinkSync(target, join(stateDir, 'supervisor', 'journal.jsonl'));
    running = startSupervisor(dir);
    expect(await running.exited).toBe(7);
    expect(running.output()).toContain(
      'is a symlink; runwarden never follows a symlink into state.',
    );
    expect(readFileSync(target, 'utf8')).toBe('not a journal\n');
    running = undefined;

    rmSync(stateDir, { recursive: true });
    mkdirSync(join(dir, 'real-state'));
    symlinkSync(join(dir, 'real-state'), stateDir);
    const refused = await cli(dir, ['start']);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toContain(`${stateDir} is a symlink`);
  }, 60_000);
});
