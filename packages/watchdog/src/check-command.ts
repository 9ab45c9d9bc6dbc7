import { spawn } from 'node:child_process';
import { killTree } from '@runwarden/kill-tree';
import { RUN_ID_ENV } from '@runwarden/process-identity';
import { WATCHDOG_DEFAULTS } from './defaults.js';
import { TailBuffer } from './tail-buffer.js';

/** The outcome of one completion check. */
export interface CheckResult {
  /** Exit 0 within the time limit. */
  passed: boolean;
  /** Its exit code; `null` when it was killed or could not start. */
  exitCode: number | null;
  /** Its output (stdout and stderr), last 4 KB, trimmed; a change between checks is progress. */
  output: string;
  durationMs: number;
  /** True when the time limit ended it. */
  timedOut: boolean;
}

/** Options for {@link runCheckCommand}. */
export interface CheckCommandOptions {
  /** A shell command (`/bin/sh -c`), e.g. `pnpm test`. */
  command: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The token its processes carry in `RUNWARDEN_RUN_ID`, so its whole tree can be ended. */
  token: string;
  /**
   * Longest run, in ms; then its tree is ended and the check fails.
   * @default WATCHDOG_DEFAULTS.checkTimeoutMs (300000)
   */
  timeoutMs?: number;
  /** Aborting it ends the check's tree at once; the check fails. */
  signal?: AbortSignal;
}

/**
 * Runs the completion check: a shell command that must exit 0 for the run to
 * be complete (like a CI gate after the agent says it is done). Its own
 * process group, stdin `/dev/null`; on timeout its whole tree is ended.
 * Never throws: a command that cannot start fails the check.
 *
 * @param options - the command and its limits.
 * @returns whether it passed, its exit code and its output's tail.
 */
export function runCheckCommand(options: CheckCommandOptions): Promise<CheckResult> {
  const started = performance.now();
  const tail = new TailBuffer(4096);
  return new Promise((settle) => {
    const child = spawn('/bin/sh', ['-c', options.command], {
      cwd: options.cwd,
      env: { ...options.env, [RUN_ID_ENV]: options.token },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timedOut = false;
    const end = () =>
      killTree(
        { token: options.token },
        { graceMs: 1000, processGroups: child.pid ? [child.pid] : [] },
      ).catch(() => undefined);
    const timer = setTimeout(() => {
      timedOut = true;
      end();
    }, options.timeoutMs ?? WATCHDOG_DEFAULTS.checkTimeoutMs);
    options.signal?.addEventListener('abort', end, { once: true });
    if (options.signal?.aborted) end();
    child.stdout.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => tail.push(chunk));
    const done = (exitCode: number | null) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', end);
      settle({
        passed: exitCode === 0 && !timedOut && !options.signal?.aborted,
        exitCode,
        output: tail.lines(200).join('\n').trim(),
        durationMs: Math.round(performance.now() - started),
        timedOut,
      });
    };
    child.on('exit', () => {
      // Whatever it left behind (a backgrounded server, a watcher) goes with it.
      killTree({ token: options.token }, { graceMs: 500 }).catch(() => undefined);
    });
    child.on('error', () => done(null));
    child.on('close', (code) => done(code));
  });
}
