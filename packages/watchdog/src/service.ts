import { type ChildProcess, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { type KillTreeResult, killTree } from '@runwarden/kill-tree';
import { captureIdentity, type ProcessIdentity, RUN_ID_ENV } from '@runwarden/process-identity';
import { WATCHDOG_DEFAULTS } from './defaults.js';
import { type LogRotationOptions, RotatingLog } from './rotating-log.js';

/**
 * A sidecar the run depends on (the ephemeral `opencode serve` a CI runner
 * posts its mission to): started before the first attempt, waited for until
 * ready, watched for death, and ended with its whole tree when the run ends.
 */
export interface ServiceSpec {
  /**
   * A name for the journal and its log file (`service-<name>.log`).
   * @default 'service-<n>' (1-based)
   */
  name?: string;
  /** The program (no shell; use `/bin/sh -c` for a command line). */
  command: string;
  /** Its arguments. @default [] */
  args?: string[];
  /** Ready when a GET of this URL answers 200–399 (Kubernetes' `httpGet` probe rule). */
  readyUrl?: string;
  /** Ready when a TCP connection to this port (on `readyHost`) is accepted. */
  readyPort?: number;
  /** Host for `readyPort`. @default WATCHDOG_DEFAULTS.service.readyHost ('127.0.0.1') */
  readyHost?: string;
  /**
   * The startup deadline: not ready within this many ms → the run ends
   * `STARTUP_TIMEOUT` (exit 3).
   * @default WATCHDOG_DEFAULTS.service.startupTimeoutMs (60000)
   */
  startupTimeoutMs?: number;
  /**
   * Per probe: the longest wait for the TCP connection, in ms (the `connect` of
   * a `(connect, read)` timeout pair).
   * @default WATCHDOG_DEFAULTS.service.connectTimeoutMs (5000)
   */
  connectTimeoutMs?: number;
  /**
   * Per probe: the longest wait for the response headers and body, in ms (the `read` timeout).
   * @default WATCHDOG_DEFAULTS.service.readTimeoutMs (30000)
   */
  readTimeoutMs?: number;
  /**
   * Pause between probes, in ms.
   * @default WATCHDOG_DEFAULTS.service.probeIntervalMs (200)
   */
  probeIntervalMs?: number;
}

/** How a service's readiness wait ended. */
export type ReadyOutcome =
  | { ready: true; waitedMs: number; via: string }
  | { ready: false; why: 'timeout' | 'died' | 'aborted'; waitedMs: number; detail: string };

/** A started service. */
export interface RunningService {
  readonly name: string;
  readonly pid: number;
  readonly token: string;
  readonly child: ChildProcess;
  readonly identity: ProcessIdentity | null;
  /** Settles when the service's main process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once it exited. */
  readonly hasExited: () => boolean;
}

/** Options for {@link startService}. */
export interface StartServiceOptions {
  /** Index in the run's service list (0-based), for the default name. */
  index: number;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The run id; the service's processes carry `RUNWARDEN_RUN_ID=<runId>~<name>`. */
  runId: string;
  /** Where its log goes (`service-<name>.log`). */
  runDir: string;
  rotation?: LogRotationOptions;
}

/**
 * Starts a service in its own session and process group, stdin `/dev/null`,
 * stdout and stderr into `service-<name>.log`. Its processes carry their own
 * run token (`<runId>~<name>`), so the sweep after an attempt never touches it.
 *
 * @param spec - the service.
 * @param options - where and as what.
 * @returns the running service; a spawn failure shows as an immediate exit (code `null`).
 */
export function startService(spec: ServiceSpec, options: StartServiceOptions): RunningService {
  const name = spec.name ?? `service-${options.index + 1}`;
  const token = `${options.runId}~${name}`;
  const log = new RotatingLog(join(options.runDir, `service-${name}.log`), options.rotation);
  const child = spawn(spec.command, spec.args ?? [], {
    cwd: options.cwd,
    env: { ...options.env, [RUN_ID_ENV]: token },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let hasExited = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((settle) => {
    child.on('exit', (code, signal) => {
      hasExited = true;
      settle({ code, signal });
    });
    child.on('error', (error) => {
      hasExited = true;
      log.write(Buffer.from(`runwarden: could not start ${spec.command}: ${error.message}\n`));
      settle({ code: null, signal: null });
    });
  });
  child.stdout?.on('data', (chunk: Buffer) => log.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
  child.on('close', () => log.close());
  const identity =
    child.pid !== undefined ? captureIdentity(child.pid, { token, tokenSource: 'env' }) : null;
  return {
    name,
    pid: child.pid ?? 0,
    token,
    child,
    identity,
    exited,
    hasExited: () => hasExited,
  };
}

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
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
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

/**
 * Ends a service's whole tree: its process group, descendants and anything
 * carrying its token, SIGTERM then SIGKILL after `graceMs`.
 *
 * @param service - the started service.
 * @param graceMs - between the two signals, in ms.
 * @returns the kill report, or `null` when nothing could be found to kill.
 */
export async function stopService(
  service: RunningService,
  graceMs: number,
): Promise<KillTreeResult | null> {
  const groups = service.identity
    ? [{ pgid: service.pid, leaderStartTicks: service.identity.startTicks }]
    : [];
  const target =
    service.identity && !service.hasExited() ? service.identity : { token: service.token };
  return killTree(target, { graceMs, token: service.token, processGroups: groups }).catch(() =>
    killTree({ token: service.token }, { graceMs, processGroups: groups }).catch(() => null),
  );
}
