import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { KillTreeError, type KillTreeResult, killTree } from '@runwarden/kill-tree';
import { captureIdentity, type ProcessIdentity, RUN_ID_ENV } from '@runwarden/process-identity';
import { type BackoffOptions, backoffDelayMs } from './backoff.js';
import { Journal, type JournalEvent } from './journal.js';
import { EXIT_CODES, type ReasonCode } from './reasons.js';

/** A command and its arguments, run without a shell. */
export interface CommandSpec {
  command: string;
  args?: string[];
}

/** Options for {@link superviseRun}. Durations are in ms; `0` turns a timer off. */
export interface SuperviseOptions {
  /** The program to run (no shell). */
  command: string;
  /** Its arguments. @default [] */
  args?: string[];
  /** Working directory. @default process.cwd() */
  cwd?: string;
  /** Extra environment, merged over `process.env`; `RUNWARDEN_RUN_ID` is always set. */
  env?: NodeJS.ProcessEnv;
  /** The run id. @default a time-sortable random id */
  runId?: string;
  /** Where `stdout.log`, `stderr.log` and `journal.jsonl` go (created 0700). */
  runDir: string;
  /**
   * Wall clock over all attempts and backoffs; past it the tree is killed and
   * the run ends `MISSION_TIMEOUT` (exit 2).
   * @default 0 (no mission timeout)
   */
  missionTimeoutMs?: number;
  /**
   * No output for this long after the first byte: the attempt is killed (`output-idle`).
   * @default 1800000 (30 min)
   */
  idleTimeoutMs?: number;
  /**
   * No first byte for this long after a spawn: the attempt is killed (`startup-idle`).
   * @default idleTimeoutMs
   */
  startupTimeoutMs?: number;
  /**
   * Resumes allowed after deaths before completion; past it the run ends
   * `RESUME_BUDGET_EXHAUSTED` (exit 4) with a hand-off event.
   * @default 20
   */
  maxResumes?: number;
  /** The command for a resume. @default the original command */
  resume?: CommandSpec;
  /**
   * Completion predicate: the run is complete when this file exists (relative
   * to `cwd`). With a predicate, exit 0 without it is `FALSE_SUCCESS`.
   */
  doneFile?: string;
  /** Completion predicate, checked after each exit; combined with `doneFile` (both must hold). */
  isComplete?: () => boolean | Promise<boolean>;
  /**
   * After the DONE file appears, how long the child may take to exit before its
   * tree is ended and the run counted complete (an agent that prints its result
   * then never exits).
   * @default 30000
   */
  completionGraceMs?: number;
  /** Resume backoff (1 s doubling to 5 min by default). */
  backoff?: BackoffOptions;
  /**
   * Grace period between the graceful and the forced signal when a tree is ended.
   * @default 5000
   */
  killGraceMs?: number;
  /** Aborting it ends the tree and the run with `INTERRUPTED` (exit 130). */
  signal?: AbortSignal;
  /** Called with every journal event, after it is written. */
  onEvent?: (event: JournalEvent) => void;
  /** Where the child's stdout is passed through besides the log. @default not passed through */
  stdout?: Writable;
  /** Where the child's stderr is passed through besides the log. */
  stderr?: Writable;
  /** Injected clock for the journal's timestamps, Unix ms. @default Date.now */
  now?: () => number;
  /** Injected randomness for backoff jitter. @default Math.random */
  random?: () => number;
}

/** The result of a supervised run: the same flags as a kill result or an execa result. */
export interface RunResult {
  /** True only for `OK`. */
  ok: boolean;
  reason: ReasonCode;
  /** Exit code from the table in DESIGN.md. */
  exitCode: number;
  runId: string;
  /** Absolute run directory. */
  runDir: string;
  /** Attempts started (1 + resumes). */
  attempts: number;
  resumes: number;
  /** Wall time in ms. */
  durationMs: number;
  /** True when the mission timeout ended the run. */
  timedOut: boolean;
  /** True when runwarden ended the child's tree (timeout, idle, interrupt, completion grace). */
  isTerminated: boolean;
  /** True when the forced signal was needed. */
  isForcefullyTerminated: boolean;
  /** How the last attempt's process ended. */
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Processes that survived SIGKILL (`UNKILLABLE`). */
  survivors: { pid: number; reason: string }[];
  /** One line for people. */
  message: string;
}

type AttemptEnd =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'spawn-error'; error: NodeJS.ErrnoException }
  | { kind: 'idle' }
  | { kind: 'startup' }
  | { kind: 'mission-timeout' }
  | { kind: 'interrupted' }
  | { kind: 'completed-alive' };

/** A time-sortable run id: `YYYYMMDD-HHMMSS-<6 hex>` (UTC). */
export function newRunId(nowMs: number = Date.now()): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const LAST_LINES = 50;

/** The child's own process group (it leads one: `detached: true` runs setsid(2)). */
function groupOf(
  child: ChildProcess,
  identity: ProcessIdentity | null,
): { pgid: number; leaderStartTicks: number }[] {
  return child.pid !== undefined && identity
    ? [{ pgid: child.pid, leaderStartTicks: identity.startTicks }]
    : [];
}

/**
 * Runs a command under the watchdog until it completes, or a limit ends it:
 * the child runs in its own session and process group (setsid(2)) with stdin
 * from `/dev/null` and `RUNWARDEN_RUN_ID` in its environment; stdout and stderr
 * are teed to the run's logs; silence past the idle window, or death before
 * completion, ends the attempt and a resume follows after backoff, up to
 * `maxResumes`; the mission timeout ends everything. Every transition is one
 * line in `journal.jsonl`. Modelled on systemd's `Restart=on-failure` with
 * `RuntimeMaxSec=` and `WatchdogSec=` (systemd.service(5)), with output as the
 * watchdog ping.
 *
 * Never throws for the child's failures: they are results. Throws only when
 * the run directory cannot be written.
 */
export async function superviseRun(options: SuperviseOptions): Promise<RunResult> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const startedPerf = performance.now();
  const runId = options.runId ?? newRunId(startedAt);
  const runDir = resolve(options.runDir);
  const cwd = resolve(options.cwd ?? process.cwd());
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const journal = new Journal(join(runDir, 'journal.jsonl'), runId, now);
  const emit = (
    type: Parameters<Journal['append']>[0],
    attempt: number,
    data?: Record<string, unknown>,
    reason?: string,
  ) => {
    const event = journal.append(type, attempt, data, reason);
    options.onEvent?.(event);
    return event;
  };
  const stdoutLog = createWriteStream(join(runDir, 'stdout.log'), { flags: 'a', mode: 0o600 });
  const stderrLog = createWriteStream(join(runDir, 'stderr.log'), { flags: 'a', mode: 0o600 });

  const missionTimeoutMs = options.missionTimeoutMs ?? 0;
  const idleTimeoutMs = options.idleTimeoutMs ?? 1_800_000;
  const startupTimeoutMs = options.startupTimeoutMs ?? idleTimeoutMs;
  const maxResumes = options.maxResumes ?? 20;
  const killGraceMs = options.killGraceMs ?? 5000;
  const completionGraceMs = options.completionGraceMs ?? 30_000;
  const missionDeadline =
    missionTimeoutMs > 0 ? startedPerf + missionTimeoutMs : Number.POSITIVE_INFINITY;
  const hasPredicate = options.doneFile !== undefined || options.isComplete !== undefined;
  const doneFile = options.doneFile !== undefined ? resolve(cwd, options.doneFile) : undefined;
  const env = { ...process.env, ...options.env, [RUN_ID_ENV]: runId };

  const lastLines: string[] = [];
  let partial = '';
  const remember = (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop() ?? '';
    if (partial.length > 4096) partial = partial.slice(-4096);
    for (const line of lines) {
      lastLines.push(line);
      if (lastLines.length > LAST_LINES) lastLines.shift();
    }
  };

  emit('started', 0, {
    command: options.command,
    args: options.args ?? [],
    cwd,
    pid: process.pid,
    missionTimeoutMs,
    idleTimeoutMs,
    startupTimeoutMs,
    maxResumes,
    doneFile: options.doneFile,
  });

  let attempt = 0;
  let resumes = 0;
  let isTerminated = false;
  let isForcefullyTerminated = false;
  let lastExit: RunResult['lastExit'] = null;
  let survivors: RunResult['survivors'] = [];

  const complete = async (): Promise<boolean> => {
    if (!hasPredicate) return false;
    if (doneFile !== undefined && !existsSync(doneFile)) return false;
    if (options.isComplete && !(await options.isComplete())) return false;
    return true;
  };

  const endTree = async (
    child: ChildProcess,
    identity: ProcessIdentity | null,
    why: string,
  ): Promise<KillTreeResult | null> => {
    let result: KillTreeResult | null = null;
    try {
      result = await killTree(identity ?? (child.pid as number), {
        graceMs: killGraceMs,
        token: runId,
        processGroups: groupOf(child, identity),
      });
    } catch (error) {
      if (!KillTreeError.isInstance(error)) throw error;
      // The root is gone or not ours any more: sweep what still carries the run token.
      result = await killTree(
        { token: runId },
        { graceMs: killGraceMs, processGroups: groupOf(child, identity) },
      ).catch(() => null);
    }
    if (result) {
      emit('kill', attempt, {
        why,
        killed: result.killed,
        survivors: result.survivors,
        escalated: result.escalated,
        durationMs: result.durationMs,
      });
      if (result.escalated) isForcefullyTerminated = true;
      survivors = result.survivors.map((survivor) => ({
        pid: survivor.pid,
        reason: survivor.reason,
      }));
    }
    return result;
  };

  const finish = async (
    reason: ReasonCode,
    message: string,
    data: Record<string, unknown> = {},
  ): Promise<RunResult> => {
    if (reason === 'OK') emit('completed', attempt, data, reason);
    const result: RunResult = {
      ok: reason === 'OK',
      reason,
      exitCode: EXIT_CODES[reason],
      runId,
      runDir,
      attempts: attempt,
      resumes,
      durationMs: Math.round(performance.now() - startedPerf),
      timedOut: reason === 'MISSION_TIMEOUT',
      isTerminated,
      isForcefullyTerminated,
      lastExit,
      survivors,
      message,
    };
    emit(
      'ended',
      attempt,
      {
        exitCode: result.exitCode,
        attempts: attempt,
        resumes,
        durationMs: result.durationMs,
        message,
      },
      reason,
    );
    await Promise.all([
      new Promise<void>((done) => stdoutLog.end(done)),
      new Promise<void>((done) => stderrLog.end(done)),
    ]);
    return result;
  };

  const runAttempt = (
    spec: CommandSpec,
  ): Promise<{ end: AttemptEnd; child: ChildProcess; identity: ProcessIdentity | null }> =>
    new Promise((settle) => {
      const child = spawn(spec.command, spec.args ?? [], {
        cwd,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let identity: ProcessIdentity | null = null;
      let settled = false;
      let sawOutput = false;
      let lastOutput = performance.now();
      const attemptStart = performance.now();
      let doneSeenAt: number | undefined;
      const settleWith = (end: AttemptEnd) => {
        if (settled) return;
        settled = true;
        clearInterval(ticker);
        options.signal?.removeEventListener('abort', onAbort);
        settle({ end, child, identity });
      };
      const onOutput = (log: WriteStream, passThrough: Writable | undefined) => (chunk: Buffer) => {
        sawOutput = true;
        lastOutput = performance.now();
        log.write(chunk);
        passThrough?.write(chunk);
        remember(chunk);
      };
      child.stdout?.on('data', onOutput(stdoutLog, options.stdout));
      child.stderr?.on('data', onOutput(stderrLog, options.stderr));
      child.on('error', (error: NodeJS.ErrnoException) =>
        settleWith({ kind: 'spawn-error', error }),
      );
      child.on('exit', (code, signal) => settleWith({ kind: 'exit', code, signal }));
      const onAbort = () => settleWith({ kind: 'interrupted' });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (child.pid !== undefined) {
        identity = captureIdentity(child.pid, { token: runId, tokenSource: 'env' });
        emit(attempt === 1 ? 'spawned' : 'resumed', attempt, {
          pid: child.pid,
          command: spec.command,
          args: spec.args ?? [],
        });
      }
      const tickMs = Math.max(
        10,
        Math.min(250, Math.floor(Math.min(idleTimeoutMs || 1000, startupTimeoutMs || 1000) / 4)),
      );
      const ticker = setInterval(() => {
        const t = performance.now();
        if (t >= missionDeadline) return settleWith({ kind: 'mission-timeout' });
        if (!sawOutput && startupTimeoutMs > 0 && t - attemptStart >= startupTimeoutMs)
          return settleWith({ kind: 'startup' });
        if (sawOutput && idleTimeoutMs > 0 && t - lastOutput >= idleTimeoutMs)
          return settleWith({ kind: 'idle' });
        if (doneFile !== undefined && options.isComplete === undefined) {
          if (doneSeenAt === undefined && existsSync(doneFile)) doneSeenAt = t;
          if (doneSeenAt !== undefined && t - doneSeenAt >= completionGraceMs)
            return settleWith({ kind: 'completed-alive' });
        }
      }, tickMs);
      if (options.signal?.aborted) onAbort();
    });

  const waitBackoff = (delayMs: number): Promise<'ready' | 'mission-timeout' | 'interrupted'> =>
    new Promise((settle) => {
      const untilDeadline = missionDeadline - performance.now();
      const timeout = untilDeadline < delayMs;
      const timer = setTimeout(
        () => {
          options.signal?.removeEventListener('abort', onAbort);
          settle(timeout ? 'mission-timeout' : 'ready');
        },
        Math.max(0, Math.min(delayMs, untilDeadline)),
      );
      const onAbort = () => {
        clearTimeout(timer);
        settle('interrupted');
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });

  for (;;) {
    attempt++;
    const spec: CommandSpec =
      attempt === 1 || !options.resume
        ? { command: options.command, args: options.args ?? [] }
        : options.resume;
    const { end, child, identity } = await runAttempt(spec);

    if (end.kind === 'spawn-error') {
      lastExit = null;
      emit('died', attempt, { error: end.error.code, message: end.error.message }, 'spawn-error');
      return finish('CHILD_FAILED', `Could not start ${spec.command}: ${end.error.message}`);
    }

    if (end.kind === 'exit') {
      lastExit = { code: end.code, signal: end.signal };
      // The leader is gone; end whatever of its tree is left (systemd KillMode=control-group).
      const sweep = await killTree(
        { token: runId },
        { graceMs: killGraceMs, processGroups: groupOf(child, identity) },
      ).catch(() => null);
      if (sweep && sweep.killed.length > 0) {
        emit('kill', attempt, {
          why: 'leftover-after-exit',
          killed: sweep.killed,
          survivors: sweep.survivors,
          escalated: sweep.escalated,
        });
        if (sweep.escalated) isForcefullyTerminated = true;
      }
      if (sweep && sweep.survivors.length > 0) {
        survivors = sweep.survivors.map((survivor) => ({
          pid: survivor.pid,
          reason: survivor.reason,
        }));
        return finish(
          'UNKILLABLE',
          `Part of the tree survived SIGKILL: ${survivors.map((s) => s.pid).join(', ')}`,
        );
      }
    } else {
      const why = end.kind;
      if (why === 'idle') emit('output-idle', attempt, { idleTimeoutMs }, 'IDLE_TIMEOUT');
      if (why === 'startup') emit('startup-idle', attempt, { startupTimeoutMs }, 'STARTUP_TIMEOUT');
      if (why === 'mission-timeout')
        emit('timeout', attempt, { missionTimeoutMs }, 'MISSION_TIMEOUT');
      if (why === 'interrupted') emit('interrupted', attempt, {}, 'INTERRUPTED');
      isTerminated = true;
      const killed = await endTree(child, identity, why);
      lastExit = { code: child.exitCode, signal: child.signalCode };
      if (killed && killed.survivors.length > 0) {
        return finish(
          'UNKILLABLE',
          `Part of the tree survived SIGKILL: ${killed.survivors.map((s) => s.pid).join(', ')}`,
        );
      }
      if (why === 'mission-timeout')
        return finish(
          'MISSION_TIMEOUT',
          `Mission timeout of ${missionTimeoutMs} ms exceeded; the tree was ended.`,
        );
      if (why === 'interrupted') return finish('INTERRUPTED', 'Interrupted; the tree was ended.');
      if (why === 'completed-alive')
        return finish('OK', 'Completed (DONE file present; the lingering process was ended).');
    }

    if (await complete()) return finish('OK', `Completed after ${attempt} attempt(s).`);
    if (!hasPredicate && end.kind === 'exit' && end.code === 0)
      return finish('OK', 'Command exited 0.');

    const cause: ReasonCode =
      end.kind === 'idle'
        ? 'IDLE_TIMEOUT'
        : end.kind === 'startup'
          ? 'STARTUP_TIMEOUT'
          : end.kind === 'exit' && end.code === 0
            ? 'FALSE_SUCCESS'
            : 'CHILD_FAILED';
    const exitDescription =
      end.kind === 'exit'
        ? end.signal
          ? `killed by ${end.signal}`
          : `exited ${String(end.code)}`
        : end.kind === 'idle'
          ? 'went silent'
          : 'never printed';
    if (end.kind === 'exit') emit('died', attempt, { code: end.code, signal: end.signal }, cause);
    else emit('died', attempt, { cause: end.kind }, cause);

    // 126/127: the shell could not run the command; retrying cannot help.
    if (end.kind === 'exit' && (end.code === 126 || end.code === 127)) {
      return finish(
        'CHILD_FAILED',
        `${spec.command} ${exitDescription}: the command could not be run; not retried.`,
      );
    }
    if (resumes >= maxResumes) {
      if (maxResumes === 0)
        return finish(cause, `${spec.command} ${exitDescription}; no resumes allowed.`);
      const manual = [spec.command, ...(spec.args ?? [])]
        .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`))
        .join(' ');
      emit(
        'handoff',
        attempt,
        { lastLines: [...lastLines], resumeCommand: manual, cwd, lastCause: cause },
        'RESUME_BUDGET_EXHAUSTED',
      );
      return finish(
        'RESUME_BUDGET_EXHAUSTED',
        `Died ${attempt} time(s); the budget of ${maxResumes} resume(s) is spent. Resume by hand: ${manual}`,
      );
    }
    const delayMs = backoffDelayMs(resumes, options.backoff, options.random);
    emit('resume-scheduled', attempt, { delayMs, nextAttempt: attempt + 1, cause }, cause);
    const waited = await waitBackoff(delayMs);
    if (waited === 'mission-timeout') {
      emit('timeout', attempt, { missionTimeoutMs }, 'MISSION_TIMEOUT');
      return finish(
        'MISSION_TIMEOUT',
        `Mission timeout of ${missionTimeoutMs} ms reached while waiting to resume.`,
      );
    }
    if (waited === 'interrupted') {
      emit('interrupted', attempt, {}, 'INTERRUPTED');
      return finish('INTERRUPTED', 'Interrupted while waiting to resume.');
    }
    resumes++;
  }
}
