import { createConnection } from 'node:net';
import { WATCHDOG_DEFAULTS } from './defaults.js';
import type { RunningService, ServiceSpec } from './service.js';

/** How a service's readiness wait ended. */
export type ReadyOutcome =
  | { ready: true; waitedMs: number; via: string }
  | { ready: false; why: 'timeout' | 'died' | 'aborted'; waitedMs: number; detail: string };

/** Sleeps `ms`, or less when `signal` aborts; leaves no listener behind. */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((settle) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      settle();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * One HTTP GET with separate connect and read timeouts, through Node's own
 * `http`/`https` client on a fresh socket (no keep-alive, so the connect phase
 * is always measured): the connect timer stops at the socket's `connect`, the
 * read timeout is the socket's inactivity limit after it.
 *
 * @returns `true` for a 2xx or 3xx answer, else why not (`connect-timeout`,
 *   `read-timeout`, `HTTP 503`, `ECONNREFUSED`, …).
 */
function probeUrl(
  url: string,
  connectTimeoutMs: number,
  readTimeoutMs: number,
  signal: AbortSignal,
): Promise<string | true> {
  return new Promise((settle) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      settle('invalid-url');
      return;
    }
    // node:http and node:https load here, on a service's first HTTP probe, not
    // with the watchdog: an ESM import of either reads every export, which on
    // Node 24 loads undici (about 11 ms of every `runwarden run`).
    const { request } = process.getBuiltinModule(
      target.protocol === 'https:' ? 'node:https' : 'node:http',
    ) as typeof import('node:http');
    let finished = false;
    const connectTimer = setTimeout(() => finish('connect-timeout'), connectTimeoutMs);
    const req = request(target, { method: 'GET', agent: false, signal, timeout: readTimeoutMs });
    function finish(outcome: string | true): void {
      if (finished) return;
      finished = true;
      clearTimeout(connectTimer);
      req.destroy();
      settle(outcome);
    }
    req.once('socket', (socket) => socket.once('connect', () => clearTimeout(connectTimer)));
    req.once('timeout', () => finish('read-timeout'));
    req.once('error', (error: NodeJS.ErrnoException) =>
      finish(error.name === 'AbortError' ? 'aborted' : (error.code ?? error.message)),
    );
    req.once('response', (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      finish(status >= 200 && status < 400 ? true : `HTTP ${status}`);
    });
    req.end();
  });
}

/** One TCP probe: connected within `connectTimeoutMs`. */
function probePort(host: string, port: number, connectTimeoutMs: number): Promise<string | true> {
  return new Promise((settle) => {
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      settle('connect-timeout');
    }, connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      settle(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      settle(error.code ?? error.message);
    });
  });
}

/**
 * Waits until a service is ready: probes its URL (HTTP GET through Node's `http` client,
 * with a connect timeout and a separate read timeout per probe) or its port
 * (TCP connect), every `probeIntervalMs`, under the startup deadline. Stops
 * early when the service dies or `signal` aborts. With neither a URL nor a
 * port, a service is ready once started.
 *
 * @param service - the started service.
 * @param spec - its readiness settings.
 * @param signal - aborts the wait (an interrupt).
 * @returns ready (with the time it took), or why not.
 */
export async function waitReady(
  service: RunningService,
  spec: ServiceSpec,
  signal?: AbortSignal,
): Promise<ReadyOutcome> {
  const started = performance.now();
  const waited = () => Math.round(performance.now() - started);
  const defaults = WATCHDOG_DEFAULTS.service;
  const deadline = started + (spec.startupTimeoutMs ?? defaults.startupTimeoutMs);
  const connectTimeoutMs = spec.connectTimeoutMs ?? defaults.connectTimeoutMs;
  const readTimeoutMs = spec.readTimeoutMs ?? defaults.readTimeoutMs;
  const interval = spec.probeIntervalMs ?? defaults.probeIntervalMs;
  const readyHost = spec.readyHost ?? defaults.readyHost;
  if (spec.readyUrl === undefined && spec.readyPort === undefined) {
    return service.hasExited()
      ? { ready: false, why: 'died', waitedMs: 0, detail: 'exited at once' }
      : { ready: true, waitedMs: 0, via: 'started' };
  }
  let last = 'not probed';
  // One listener on the caller's signal for the whole wait, aborting the probe in flight.
  let probe: AbortController | undefined;
  const onAbort = () => probe?.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (signal?.aborted)
        return { ready: false, why: 'aborted', waitedMs: waited(), detail: last };
      if (service.hasExited())
        return { ready: false, why: 'died', waitedMs: waited(), detail: 'exited before ready' };
      const remaining = deadline - performance.now();
      if (remaining <= 0) return { ready: false, why: 'timeout', waitedMs: waited(), detail: last };
      probe = new AbortController();
      const current = probe;
      const deadlineTimer = setTimeout(() => current.abort(), Math.max(1, Math.round(remaining)));
      const probeSignal = probe.signal;
      const outcome =
        spec.readyUrl !== undefined
          ? await probeUrl(
              spec.readyUrl,
              Math.min(connectTimeoutMs, Math.max(1, Math.round(remaining))),
              readTimeoutMs,
              probeSignal,
            )
          : await probePort(
              readyHost,
              spec.readyPort!,
              Math.min(connectTimeoutMs, Math.max(1, Math.round(remaining))),
            );
      clearTimeout(deadlineTimer);
      if (outcome === true)
        return {
          ready: true,
          waitedMs: waited(),
          via: spec.readyUrl ?? `tcp://${readyHost}:${spec.readyPort}`,
        };
      // A probe cut short by the deadline says nothing new about the service.
      if (outcome !== 'aborted') last = outcome;
      else if (last === 'not probed') last = 'no answer before the deadline';
      await sleep(Math.min(interval, Math.max(0, deadline - performance.now())), signal);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
