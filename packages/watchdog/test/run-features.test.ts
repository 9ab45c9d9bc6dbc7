import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyLogChain } from '@runwarden/evidence-hasher';
import { inspect, LockHeldError, tryAcquire } from '@runwarden/lock-core';
import { type FakeAgentOptions, fakeAgentArgs } from '@runwarden/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  runCheckCommand,
  type SuperviseOptions,
  superviseRun,
  WatchdogError,
} from '../src/index.js';
import { agent, alive, runAgent, typesOf } from './helpers.js';

let dir: string;
const started: number[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'features-'));
});
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

const freePort = async () => {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
};
const run = (agentFlags: FakeAgentOptions | string[], options: Partial<SuperviseOptions> = {}) =>
  runAgent(dir, agentFlags, { idleTimeoutMs: 10_000, ...options });
const service = (port: number, extra: string[] = []) => ({
  name: 'api',
  command: process.execPath,
  args: [agent, ...fakeAgentArgs({ servePort: port }), ...extra],
  readyUrl: `http://127.0.0.1:${port}/health`,
  startupTimeoutMs: 10_000,
  connectTimeoutMs: 500,
  readTimeoutMs: 1000,
  probeIntervalMs: 50,
});

describe('progress idle', () => {
  it('ends an attempt that talks but never moves a progress source → IDLE_TIMEOUT', async () => {
    const { result, events } = await run(
      { turns: 1000, turnMs: 20 },
      {
        heartbeatFile: join(dir, 'heartbeat.json'),
        progressIdleMs: 500,
        maxResumes: 0,
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 3,
      reason: 'IDLE_TIMEOUT',
    });
    expect(typesOf(events)).toEqual([
      'started',
      'spawned',
      'progress-idle',
      'kill',
      'died',
      'ended',
    ]);
  });
});

describe('completion check', () => {
  it('a DONE file whose check fails is no completion: FALSE_SUCCESS', async () => {
    const { result, events } = await run(
      { turns: 1, turnMs: 1, doneFile: 'DONE', doneAfter: 1 },
      {
        doneFile: 'DONE',
        checkCommand: 'echo "2 tests failing"; exit 1',
        maxResumes: 0,
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 1,
      reason: 'FALSE_SUCCESS',
    });
    expect(typesOf(events)).toEqual(['started', 'spawned', 'exited', 'check', 'died', 'ended']);
    expect(events.find((event) => event.type === 'check')).toMatchObject({
      passed: false,
      exitCode: 1,
      output: ['2 tests failing'],
    });
  });

  it('ends a check that runs past its time limit, with its whole tree, and fails it', async () => {
    const check = await runCheckCommand({
      command: 'sleep 30 & sleep 30; echo never',
      cwd: dir,
      env: process.env,
      token: 'check-timeout-test',
      timeoutMs: 300,
    });
    expect(check).toMatchObject({ passed: false, timedOut: true, exitCode: null, output: '' });
  });

  it('a DONE file and a passing check complete the run', async () => {
    const { result } = await run(
      { turns: 1, turnMs: 1, doneFile: 'DONE', doneAfter: 1 },
      {
        doneFile: 'DONE',
        checkCommand: 'test -f DONE',
      },
    );
    expect(result).toMatchObject({ reason: 'OK', completedBy: 'done-file+check' });
  });
});

describe('logs', () => {
  it('caps and rotates each stream, and hands every byte to subscribers', async () => {
    let seen = 0;
    const { result } = await run(
      { outputBytes: 300_000, turns: 1, turnMs: 1 },
      {
        logs: { maxBytes: 100_000, backups: 2 },
        subscribers: [(chunk, info) => (seen += info.stream === 'stdout' ? chunk.length : 0)],
      },
    );
    expect(result.reason).toBe('OK');
    const runDir = join(dir, 'run');
    const logs = readdirSync(runDir)
      .filter((name) => name.startsWith('stdout.log') && !name.endsWith('.sha256chain'))
      .sort();
    expect(logs).toEqual(['stdout.log', 'stdout.log.1', 'stdout.log.2']);
    for (const name of logs) expect(verifyLogChain(join(runDir, name)).status).toBe('ok');
    for (const name of logs) expect(statSync(join(runDir, name)).size).toBeLessThanOrEqual(100_000);
    expect(statSync(join(runDir, 'stdout.log.2')).size).toBe(100_000);
    expect(seen).toBeGreaterThan(300_000);
  });
});

describe('services', () => {
  it('starts a service, waits until its URL answers, runs, and ends its tree with the run', async () => {
    const port = await freePort();
    const { result, events } = await run(
      { turns: 1, turnMs: 1 },
      {
        services: [service(port, ['--serve-delay-ms', '300'])],
      },
    );
    expect(result.reason).toBe('OK');
    expect(typesOf(events)).toEqual([
      'started',
      'service-started',
      'service-ready',
      'spawned',
      'exited',
      'completed',
      'kill',
      'ended',
    ]);
    const servicePid = events.find((event) => event.type === 'service-started')!.pid as number;
    expect(events.find((event) => event.type === 'kill')).toMatchObject({
      why: 'service-stop:api',
      killed: [servicePid],
    });
    expect(alive(servicePid)).toBe(false);
    expect(readFileSync(join(dir, 'run', 'service-api.log'), 'utf8')).toContain(
      `serving on ${port}`,
    );
  });

  it('a service that never gets ready → STARTUP_TIMEOUT, exit 3, nothing spawned, service ended', async () => {
    const port = await freePort();
    const { result, events } = await run(
      { turns: 1 },
      {
        services: [{ ...service(port, ['--serve-delay-ms', '60000']), startupTimeoutMs: 600 }],
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 3,
      reason: 'STARTUP_TIMEOUT',
    });
    expect(typesOf(events)).toEqual(['started', 'service-started', 'timeout', 'kill', 'ended']);
    expect(events.find((event) => event.type === 'timeout')).toMatchObject({
      what: 'service-startup',
      service: 'api',
      lastProbe: 'ECONNREFUSED',
    });
    expect(alive(events[1]!.pid as number)).toBe(false);
  });

  it('an interrupt while waiting for a service ends it → INTERRUPTED, exit 130', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const { result, events } = await run(
      { turns: 1 },
      {
        services: [service(port, ['--serve-delay-ms', '60000'])],
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'service-started') setTimeout(() => controller.abort(), 200);
        },
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 130,
      reason: 'INTERRUPTED',
    });
    expect(typesOf(events)).toEqual(['started', 'service-started', 'interrupted', 'kill', 'ended']);
  });

  it('a service that dies mid-run ends the run → SERVICE_FAILED, exit 1', async () => {
    const port = await freePort();
    const { result, events } = await run(
      { turns: 100_000, turnMs: 20 },
      {
        services: [
          { ...service(port, ['--die-after-ms', '500']), readyUrl: undefined, readyPort: port },
        ],
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 1,
      reason: 'SERVICE_FAILED',
    });
    expect(typesOf(events)).toEqual([
      'started',
      'service-started',
      'service-ready',
      'spawned',
      'service-died',
      'kill',
      'ended',
    ]);
    expect(events.find((event) => event.type === 'service-died')).toMatchObject({
      name: 'api',
      code: 1,
      reason: 'SERVICE_FAILED',
    });
  });
});

describe('adopt', () => {
  it('notices the death of a process it did not start, then resumes with the command', async () => {
    const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      stdio: 'ignore',
    });
    started.push(stranger.pid!);
    const { result, events } = await run(
      {},
      {
        command: process.execPath,
        args: ['-e', 'console.log("resumed by runwarden")'],
        adopt: { pid: stranger.pid! },
        maxResumes: 1,
        onEvent: (event) => {
          if (event.type === 'adopted') setTimeout(() => stranger.kill('SIGKILL'), 100);
        },
      },
    );
    expect(result).toMatchObject({ reason: 'OK', attempts: 2 });
    expect(typesOf(events)).toEqual([
      'started',
      'adopted',
      'exited',
      'died',
      'resume-scheduled',
      'resumed',
      'exited',
      'completed',
      'ended',
    ]);
    expect(events.find((event) => event.type === 'exited')).toMatchObject({
      pid: stranger.pid,
      code: null,
    });
  });

  it('reads an adopted process output file: its silence is idle, its tree is ended', async () => {
    const output = join(dir, 'agent.log');
    const stranger = spawn(
      '/bin/sh',
      ['-c', `echo working > ${output}; echo still >> ${output}; exec sleep 60`],
      { stdio: 'ignore', detached: true },
    );
    started.push(stranger.pid!);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { result, events } = await run(
      {},
      {
        command: 'true',
        adopt: { pid: stranger.pid!, outputFile: output },
        idleTimeoutMs: 500,
        maxResumes: 0,
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 3,
      reason: 'IDLE_TIMEOUT',
    });
    expect(typesOf(events)).toEqual(['started', 'adopted', 'output-idle', 'kill', 'died', 'ended']);
    expect(alive(stranger.pid!)).toBe(false);
  });

  it('refuses to adopt a pid that is not alive', async () => {
    const gone = spawn('true');
    await once(gone, 'exit');
    await expect(
      superviseRun({ command: 'true', runDir: join(dir, 'run'), adopt: { pid: gone.pid! } }),
    ).rejects.toSatisfy(
      (error) => WatchdogError.isInstance(error) && error.code === 'ERR_ADOPT_NOT_FOUND',
    );
  });
});

describe('lock', () => {
  it('holds the run lock for the whole run and releases it at the end', async () => {
    const lockPath = join(dir, 'RUN.lock');
    let during: string | undefined;
    const { result } = await run(
      { turns: 1, turnMs: 1 },
      {
        lock: { path: lockPath },
        onEvent: (event) => {
          if (event.type === 'exited')
            during = `${inspect(lockPath).state}:${inspect(lockPath).holder?.runId}`;
        },
      },
    );
    expect(result.reason).toBe('OK');
    expect(during).toBe(`held:${result.runId}`);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('refuses to start while another live run holds the lock, and writes nothing', async () => {
    const lockPath = join(dir, 'RUN.lock');
    const other = await tryAcquire(lockPath, { runId: 'other-run' });
    try {
      await expect(
        superviseRun({ command: 'true', runDir: join(dir, 'run'), lock: { path: lockPath } }),
      ).rejects.toSatisfy((error) => LockHeldError.isInstance(error));
      expect(existsSync(join(dir, 'run'))).toBe(false);
    } finally {
      await other.release();
    }
  });

  it('ends the tree when the lock is lost → LOCK_HELD', async () => {
    const lockPath = join(dir, 'RUN.lock');
    const { result, events } = await run(
      { turns: 100_000, turnMs: 20 },
      {
        lock: { path: lockPath, heartbeatMs: 50 },
        onEvent: (event) => {
          if (event.type === 'spawned') setTimeout(() => unlinkSync(lockPath), 200);
        },
      },
    );
    expect({ exitCode: result.exitCode, reason: result.reason }).toEqual({
      exitCode: 5,
      reason: 'LOCK_HELD',
    });
    expect(typesOf(events)).toEqual(['started', 'spawned', 'lock-lost', 'kill', 'ended']);
    expect(events.find((event) => event.type === 'lock-lost')?.message).toBe(
      `Lock ${lockPath} was removed.`,
    );
  });
});
