import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningService, startService, waitReady } from '../src/internal.js';

let dir: string;
let server: Server | undefined;
let service: RunningService | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'service-probe-'));
});
afterEach(async () => {
  service?.child.kill('SIGKILL');
  service = undefined;
  if (server) await new Promise((done) => server!.close(done));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in service process: alive for the whole probe, so only the URL decides. */
function sleeper(): RunningService {
  return startService(
    { name: 'sleeper', command: 'sleep', args: ['30'] },
    { index: 0, cwd: dir, env: process.env, runId: 'probe-test', runDir: dir },
  );
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}/health`;
}

describe('waitReady over HTTP', () => {
  it('is ready once the URL answers 2xx', async () => {
    const url = await listen((_request, response) => response.end('ok'));
    service = sleeper();
    const outcome = await waitReady(service, {
      command: 'sleep',
      readyUrl: url,
      startupTimeoutMs: 5000,
    });
    expect(outcome).toMatchObject({ ready: true, via: url });
  });

  it('reports a server that accepts but never answers as a read timeout, separate from connecting', async () => {
    const url = await listen(() => {
      // never answers
    });
    service = sleeper();
    const outcome = await waitReady(service, {
      command: 'sleep',
      readyUrl: url,
      connectTimeoutMs: 2000,
      readTimeoutMs: 150,
      startupTimeoutMs: 1000,
      probeIntervalMs: 50,
    });
    expect(outcome).toMatchObject({ ready: false, why: 'timeout', detail: 'read-timeout' });
  });

  it('keeps probing through errors and names the last one', async () => {
    const url = await listen((_request, response) => {
      response.statusCode = 503;
      response.end();
    });
    service = sleeper();
    const outcome = await waitReady(service, {
      command: 'sleep',
      readyUrl: url,
      startupTimeoutMs: 500,
      probeIntervalMs: 50,
    });
    expect(outcome).toMatchObject({ ready: false, why: 'timeout', detail: 'HTTP 503' });
  });

  it('names a refused connection', async () => {
    const url = await listen((_request, response) => response.end());
    await new Promise((done) => server!.close(done));
    server = undefined;
    service = sleeper();
    const outcome = await waitReady(service, {
      command: 'sleep',
      readyUrl: url,
      startupTimeoutMs: 300,
      probeIntervalMs: 50,
    });
    expect(outcome).toMatchObject({ ready: false, why: 'timeout', detail: 'ECONNREFUSED' });
  });
});
