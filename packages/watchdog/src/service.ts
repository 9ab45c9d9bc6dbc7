import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type KillTreeResult, killTree } from '@runwarden/kill-tree';
import { captureIdentity, type ProcessIdentity, RUN_ID_ENV } from '@runwarden/process-identity';
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
