/**
 * The watchdog never blocks on a path someone else controls, and its
 * pass-through writes never throw: real FIFOs, real pipes whose reader left.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeAgentArgs } from '@runwarden/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { superviseRun, WatchdogError } from '../src/index.js';
import { agent, runAgent, typesOf } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'watchdog-odd-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('no blocking open of a path someone else controls', () => {
  it('a FIFO as --heartbeat-file: the event loop goes on, the mission timeout fires (exit 2)', async () => {
    const fifo = join(dir, 'heartbeat');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    const { result } = await runAgent(
      dir,
      { turns: 1000, turnMs: 50 },
      {
        heartbeatFile: fifo,
        watch: [fifo],
        missionTimeoutMs: 800,
        progressPollMs: 20,
      },
    );
    expect({ reason: result.reason, exitCode: result.exitCode }).toEqual({
      reason: 'MISSION_TIMEOUT',
      exitCode: 2,
    });
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('a FIFO at the journal or a log is ERR_UNSAFE_PATH at once, not a hang', async () => {
    for (const name of ['journal.jsonl', 'stdout.log']) {
      const runDir = join(dir, name);
      mkdirSync(runDir);
      execFileSync('mkfifo', [join(runDir, name)]);
      const started = performance.now();
      const failure = await superviseRun({
        command: process.execPath,
        args: [agent, ...fakeAgentArgs({ turns: 1 })],
        runDir,
        cwd: dir,
      }).catch((error: unknown) => error);
      expect(WatchdogError.isInstance(failure)).toBe(true);
      expect(failure).toMatchObject({ code: 'ERR_UNSAFE_PATH', path: join(runDir, name) });
      expect((failure as Error).message).toContain(
        'is a FIFO, socket or device, not a regular file',
      );
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });

  it('a symlink as the run directory is refused before anything is written through it', async () => {
    mkdirSync(join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'run'));
    await expect(runAgent(dir, { turns: 1 })).rejects.toMatchObject({
      code: 'ERR_UNSAFE_PATH',
      path: join(dir, 'run'),
    });
  });
});

describe('pass-through output that breaks', () => {
  it('a reader that goes away (EPIPE): echoing stops, supervision goes on, the log keeps everything', async () => {
    // A real pipe whose reader exits after its first chunk, like `| head -1`.
    const reader = spawn(
      process.execPath,
      ['-e', "process.stdin.once('data', () => process.exit(0))"],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    const gone = once(reader, 'exit');
    const { result, events } = await runAgent(
      dir,
      { turns: 40, turnMs: 10 },
      {
        stdout: reader.stdin!,
      },
    );
    await gone;
    expect({ reason: result.reason, exitCode: result.exitCode }).toEqual({
      reason: 'OK',
      exitCode: 0,
    });
    expect(typesOf(events).at(-1)).toBe('ended');
    const logged = readFileSync(join(dir, 'run', 'stdout.log'), 'utf8');
    expect(logged.split('\n').filter((line) => /turn \d+ done$/.test(line)).length).toBe(40);
  });
});
