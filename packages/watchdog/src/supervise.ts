import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { KillTreeError, type KillTreeResult, killTree } from '@runwarden/kill-tree';
import { type LockHandle, tryAcquire } from '@runwarden/lock-core';
import {
  captureIdentity,
  getProcessInfoSync,
  type ProcessIdentity,
  RUN_ID_ENV,
  verifyIdentity,
} from '@runwarden/process-identity';
import { ensurePrivateDirectory, StatePathError } from '@runwarden/safe-fs';
import { adoptedFiles, adoptedTails } from './adopt-files.js';
import { runCheckCommand } from './check-command.js';
import { WATCHDOG_DEFAULTS } from './defaults.js';
import { DoneFileWatch } from './done-file.js';
import { WatchdogError } from './errors.js';
import { FileOutput } from './file-output.js';
import { Journal, type JournalEvent, type JournalEventType } from './journal.js';
import { type AttemptTimes, judgeLiveness, type LivenessLimits } from './liveness.js';
import { type CommandSpec, type SuperviseOptions, validateOptions } from './options.js';
import { type Checkpoint, ProgressWatcher } from './progress.js';
import { pulseFrom, type WatchdogPulse } from './pulse.js';
import { AGENT_QUOTA_PATTERN, findQuotaMessage, parseResetTime } from './quota.js';
import { EXIT_CODES, type ReasonCode } from './reasons.js';
import {
  type DeathFacts,
  decideAfterDeath,
  EMPTY_LEDGER,
  type ResumeLedger,
  type ResumePolicy,
  type ResumeRule,
  resolveResumeOn,
  ruleOfDeath,
} from './resume-policy.js';
import { type RunningService, startService, stopService, waitReady } from './service.js';
import { isServiceFailure, type ServiceFailureReason } from './stop-reason.js';
import { OutputTee } from './tee.js';

/** The result of a supervised run: the same flags as a kill result or an execa result. */
export interface RunResult {
  /** True only for `OK`. */
  ok: boolean;
  /** Why the run ended (DESIGN.md's table). */
  reason: ReasonCode;
  /** Exit code from the table in DESIGN.md. */
  exitCode: number;
  runId: string;
  /** Absolute run directory. */
  runDir: string;
  /** Attempts started or adopted (1 + resumes). */
  attempts: number;
  /** Resumes done (quota pauses included). */
  resumes: number;
  /** Resumes that counted against `maxResumes` (those after a death without progress). */
  budgetSpent: number;
  /** Quota pauses taken. */
  quotaPauses: number;
  /** Wall time in ms. */
  durationMs: number;
  /** True when the mission timeout ended the run. */
  timedOut: boolean;
  /** True when runwarden ended the child's tree (timeout, idle, interrupt, completion grace). */
  isTerminated: boolean;
  /** True when the forced signal was needed. */
  isForcefullyTerminated: boolean;
  /** How the last attempt's process ended (`null` fields for an adopted process). */
  lastExit: { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Processes that survived SIGKILL (`UNKILLABLE`). */
  survivors: { pid: number; reason: string }[];
  /** What proved completion: `done-file`, `marker`, `check`, `predicate`, `exit-0`. */
  completedBy?: string;
  /** The last checkpoint read from the heartbeat file. */
  checkpoint?: Checkpoint;
  /** The resume rules in force (`resumeOn`, or its default for this run). */
  resumeOn: ResumeRule[];
  /** Resumes and quota pauses, counted by the rule of the death before them. */
  resumedBy: Partial<Record<ResumeRule, number>>;
  /** The rule of the death that ended the run (not in `resumeOn`, resumes off, or the budget spent); absent otherwise. */
  endedByRule?: ResumeRule;
  /** What the run warned about (e.g. a DONE file that was there before it started); also `warning` journal events. */
  warnings: string[];
  /** One line for people. */
  message: string;
}

type StopKind = 'interrupted' | 'lock-lost' | 'service-failed' | 'mission-timeout';

type AttemptEnd =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'spawn-error'; error: NodeJS.ErrnoException }
  | { kind: 'startup-idle' | 'output-idle' | 'progress-idle' | 'completed-alive' }
  | { kind: 'stop' };

interface Attempt {
  end: AttemptEnd;
  pid: number | undefined;
  identity: ProcessIdentity | null;
  /** Process groups that belong to the attempt. */
  groups: { pgid: number; leaderStartTicks: number }[];
  token: string | undefined;
  child: ChildProcess | undefined;
  closed: Promise<unknown>;
  uptimeMs: number;
}

/**
 * A time-sortable run id: `YYYYMMDD-HHMMSS-<6 hex>` (UTC).
 *
 * @param nowMs - the time to stamp, Unix ms. @default Date.now()
 * @returns the id.
 */
export function newRunId(nowMs: number = Date.now()): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const LAST_LINES = 50;
const PROGRESS_JOURNAL_MS = 60_000;
const MAX_TIMER_MS = 2_147_483_647;

/** Waits for `promise`, at most `ms`; the timer never outlives the wait (it must not keep the process alive). */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((settle) => (timer = setTimeout(settle, ms)))]);
  clearTimeout(timer);
}

/** Shell-quotes a command line for the hand-off (POSIX `sh`). */
function shellQuote(parts: string[]): string {
  return parts
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : `'${part.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/**
 * Creates the run directory by the one state-directory rule of
 * `@runwarden/safe-fs` (mode 0700; a symlink or file in its place refused
 * before anything is made through it; a directory of ours that others may
 * write made private, another user's refused).
 */
function ensureRunDir(runDir: string): void {
  try {
    ensurePrivateDirectory(runDir);
  } catch (error) {
    if (!StatePathError.isInstance(error)) throw error;
    throw new WatchdogError(
      'ERR_UNSAFE_PATH',
      error.problem === 'io'
        ? `Cannot create the run directory ${runDir}: ${error.message}`
        : `Run directory ${runDir} is unusable: ${error.message}`,
      {
        path: error.path,
        cause: error,
        hint:
          error.problem === 'io'
            ? 'Point runDir at a directory this user may write.'
            : 'Point runDir at a real directory only this user may write (runwarden never follows a symlink into state).',
      },
    );
  }
}

function resolveAdopt(options: SuperviseOptions): ProcessIdentity | undefined {
  if (!options.adopt) return undefined;
  const { pid, startTicks } = options.adopt;
  const identity = captureIdentity(pid);
  if (!identity || (startTicks !== undefined && identity.startTicks !== startTicks)) {
    throw new WatchdogError(
      'ERR_ADOPT_NOT_FOUND',
      identity
        ? `pid ${pid} is another process now (start ticks ${identity.startTicks}, expected ${startTicks}); not adopting it.`
        : `No live process with pid ${pid} to adopt.`,
      { option: 'adopt.pid' },
    );
  }
  return identity;
}

/**
 * Runs a command under the watchdog until it completes, or a limit ends it.
 *
 * - The child runs in its own session and process group (setsid(2)), stdin
 *   `/dev/null`, `RUNWARDEN_RUN_ID` and `RUNWARDEN_ATTEMPT` in its
 *   environment; stdout and stderr are teed to rotating logs (50 MB × 5 by
 *   default, supervisord's `stdout_logfile_maxbytes`/`_backups`), to the
 *   subscribers and to the pass-through streams.
 * - Death is seen at once for a child (its exit), and within `adoptPollMs`
 *   for an adopted process (identity polling).
 * - Two liveness levels: output idle (`startupIdleMs` for the first byte,
 *   `idleTimeoutMs` after it) and progress idle (`progressIdleMs` without a
 *   change to a watched or heartbeat file).
 * - Completion is never just exit 0 when a predicate is set (`doneFile` or
 *   `doneMarker`, then `checkCommand`, then `isComplete`): exit 0 without it
 *   is `FALSE_SUCCESS`, a death.
 * - A death before completion is resumed after capped exponential backoff
 *   with jitter ({@link decideAfterDeath}); a resume counts against
 *   `maxResumes` only when no progress source moved since the previous one;
 *   a quota message pauses instead. Budget spent: `RESUME_BUDGET_EXHAUSTED`
 *   and a `handoff` event with the last 50 lines and the command to resume by
 *   hand.
 * - Services start first and must be ready; one that dies ends the run
 *   `SERVICE_FAILED`. The mission timeout, an abort, or the loss of the lock
 *   end the tree at once.
 * - Every transition is one line in `journal.jsonl`, validated by
 *   {@link journalEventSchema}.
 *
 * Modelled on systemd's `Restart=on-failure` with `RuntimeMaxSec=` and
 * `WatchdogSec=` (systemd.service(5)) and supervisord's log handling.
 *
 * @param options - what to run and how to watch it.
 * @returns the result; the child's failures are results, never errors.
 * @throws {WatchdogError} `ERR_INVALID_OPTION` for a bad option (before anything starts),
 *   `ERR_ADOPT_NOT_FOUND` when the process to adopt is gone, `ERR_UNSAFE_PATH` for a symlinked run directory.
 * @throws {LockHeldError} when `lock` is a path another live run holds (nothing is written then).
 * @throws {LockCorruptError} when `lock` is a path to a corrupt lock file (it is kept as it is).
 */
export async function superviseRun(options: SuperviseOptions): Promise<RunResult> {
  validateOptions(options);
  const adopted = resolveAdopt(options);
  let lock: LockHandle | undefined;
  let ownLock = false;
  if (options.lock) {
    if ('release' in options.lock && typeof options.lock.release === 'function') {
      lock = options.lock as LockHandle;
    } else {
      const { path, ...lockOptions } = options.lock as { path: string };
      const runId = options.runId ?? newRunId((options.now ?? Date.now)());
      options = { ...options, runId };
      lock = await tryAcquire(path, { runId, ...lockOptions });
      ownLock = true;
    }
  }
  try {
    return await new Supervisor(options, adopted, lock).run();
  } finally {
    if (ownLock) await lock?.release().catch(() => undefined);
  }
}

class Supervisor {
  private readonly now: () => number;
  private readonly startedPerf = performance.now();
  private readonly runId: string;
  private readonly runDir: string;
  private readonly cwd: string;
  private readonly baseEnv: NodeJS.ProcessEnv;
  private readonly missionTimeoutMs: number;
  private readonly limits: LivenessLimits;
  private readonly policy: ResumePolicy;
  private readonly killGraceMs: number;
  private readonly doneFile: string | undefined;
  private readonly doneFileWatch: DoneFileWatch | undefined;
  private readonly resumedBy: Partial<Record<ResumeRule, number>> = {};
  private endedByRule: ResumeRule | undefined;
  private readonly warnings: string[] = [];
  private readonly hasPredicate: boolean;
  private readonly quotaPattern: RegExp | undefined;
  private readonly journal: Journal;
  private readonly tee: OutputTee;
  /** With `output: 'file'`: the log files are the child's stdout/stderr, followed here. */
  private readonly fileOutput: FileOutput | undefined;
  private readonly watcher: ProgressWatcher;
  private readonly stop = new AbortController();
  private stopKind: StopKind | undefined;
  private stopDetail = '';
  private externalFailure: ServiceFailureReason | undefined;
  private missionTimer: NodeJS.Timeout | undefined;
  private services: RunningService[] = [];
  private finishing = false;

  private attempt = 0;
  private resumes = 0;
  private ledger: ResumeLedger = { ...EMPTY_LEDGER };
  private isTerminated = false;
  private isForcefullyTerminated = false;
  private lastExit: RunResult['lastExit'] = null;
  private survivors: RunResult['survivors'] = [];
  private times: AttemptTimes | undefined;
  private progressSinceResume = false;
  private lastProgressEventAt = Number.NEGATIVE_INFINITY;
  private pendingProgress = { changes: 0, sources: new Set<string>() };
  private lastCheckOutput: string | undefined;
  private markerThisAttempt = false;
  private progressEventThisAttempt = false;
  private currentChild: ChildProcess | undefined;

  constructor(
    private readonly options: SuperviseOptions,
    private readonly adopted: ProcessIdentity | undefined,
    private readonly lock: LockHandle | undefined,
  ) {
    this.now = options.now ?? Date.now;
    this.runId = options.runId ?? newRunId(this.now());
    this.runDir = resolve(options.runDir);
    this.cwd = resolve(options.cwd ?? process.cwd());
    this.baseEnv = { ...process.env, ...options.env, [RUN_ID_ENV]: this.runId };
    this.missionTimeoutMs = options.missionTimeoutMs ?? 0;
    const idleTimeoutMs = options.idleTimeoutMs ?? WATCHDOG_DEFAULTS.idleTimeoutMs;
    this.limits = {
      idleTimeoutMs,
      startupIdleMs: options.startupIdleMs ?? options.startupTimeoutMs ?? idleTimeoutMs,
      progressIdleMs: options.progressIdleMs ?? 0,
      completionGraceMs: options.completionGraceMs ?? WATCHDOG_DEFAULTS.completionGraceMs,
      missionDeadlineMs:
        this.missionTimeoutMs > 0
          ? this.startedPerf + this.missionTimeoutMs
          : Number.POSITIVE_INFINITY,
    };
    this.killGraceMs = options.killGraceMs ?? WATCHDOG_DEFAULTS.killGraceMs;
    this.doneFile =
      options.doneFile !== undefined ? resolve(this.cwd, options.doneFile) : undefined;
    // Only a DONE file that appears or changes from now on is this run's.
    this.doneFileWatch = this.doneFile !== undefined ? new DoneFileWatch(this.doneFile) : undefined;
    this.hasPredicate =
      options.doneFile !== undefined ||
      options.doneMarker !== undefined ||
      options.checkCommand !== undefined ||
      options.isComplete !== undefined;
    const pattern = options.quota?.pattern ?? AGENT_QUOTA_PATTERN;
    this.quotaPattern = options.quota
      ? typeof pattern === 'string'
        ? new RegExp(pattern, 'i')
        : pattern
      : undefined;

    ensureRunDir(this.runDir);
    this.journal = new Journal(join(this.runDir, 'journal.jsonl'), this.runId, this.now);
    this.watcher = new ProgressWatcher({
      watchPaths: options.watch,
      heartbeatFile: options.heartbeatFile,
      cwd: this.cwd,
    });
    this.policy = {
      maxResumes: options.maxResumes ?? WATCHDOG_DEFAULTS.maxResumes,
      backoff: options.backoff ?? {},
      backoffResetMs: options.backoffResetMs ?? WATCHDOG_DEFAULTS.backoffResetMs,
      hasProgressSource: this.watcher.active || options.checkCommand !== undefined,
      resumeOn: resolveResumeOn(options.resumeOn, this.hasPredicate),
      quota: options.quota
        ? {
            fallbackPauseMs:
              options.quota.fallbackPauseMs ?? WATCHDOG_DEFAULTS.quota.fallbackPauseMs,
            maxPauseMs: options.quota.maxPauseMs ?? WATCHDOG_DEFAULTS.quota.maxPauseMs,
            marginMs: options.quota.marginMs ?? WATCHDOG_DEFAULTS.quota.marginMs,
            maxPauses: options.quota.maxPauses ?? WATCHDOG_DEFAULTS.quota.maxPauses,
          }
        : undefined,
    };
    this.fileOutput =
      options.output === 'file'
        ? new FileOutput({
            stdoutPath: join(this.runDir, 'stdout.log'),
            stderrPath: join(this.runDir, 'stderr.log'),
            rotation: options.logs,
            onChunk: (chunk, stream) => {
              this.tee.write(chunk, { stream, attempt: this.attempt });
              (stream === 'stdout' ? options.stdout : options.stderr)?.write(chunk);
            },
          })
        : undefined;
    const continued = options.adopt?.continueFrom;
    if (continued) {
      this.attempt = continued.attempt - 1;
      this.resumes = continued.resumes ?? 0;
      this.ledger = {
        ...EMPTY_LEDGER,
        budgetSpent: continued.budgetSpent ?? 0,
        quotaPauses: continued.quotaPauses ?? 0,
      };
    }
    this.tee = new OutputTee({
      writeLogs: this.fileOutput === undefined,
      stdoutPath: join(this.runDir, 'stdout.log'),
      stderrPath: join(this.runDir, 'stderr.log'),
      rotation: options.logs,
      subscribers: options.subscribers,
      stdout: options.stdout,
      stderr: options.stderr,
      doneMarker: options.doneMarker,
      onOutput: () => {
        const times = this.times;
        if (!times) return;
        const at = performance.now();
        times.firstOutputAtMs ??= at;
        times.lastOutputAtMs = at;
      },
      onMarker: () => {
        this.markerThisAttempt = true;
        if (this.times) this.times.completionSeenAtMs ??= performance.now();
      },
    });
  }

  private emit(
    type: JournalEventType,
    data: Record<string, unknown> = {},
    reason: JournalEvent['reason'] = null,
    attempt = this.attempt,
  ): JournalEvent {
    const event = this.journal.append(type, attempt, data, reason);
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's bug must not end the supervision; the event is in the journal.
    }
    return event;
  }

  private stopWith(kind: StopKind, detail = ''): void {
    if (this.stopKind || this.finishing) return;
    this.stopKind = kind;
    this.stopDetail = detail;
    this.stop.abort();
  }

  private armMissionTimer(): void {
    if (this.missionTimeoutMs <= 0) return;
    const remaining = this.limits.missionDeadlineMs - performance.now();
    if (remaining <= 0) {
      this.stopWith('mission-timeout');
      return;
    }
    this.missionTimer = setTimeout(() => this.armMissionTimer(), Math.min(remaining, MAX_TIMER_MS));
  }

  async run(): Promise<RunResult> {
    const { options } = this;
    this.emit('started', {
      command: options.command,
      args: options.args ?? [],
      cwd: this.cwd,
      pid: process.pid,
      missionTimeoutMs: this.missionTimeoutMs,
      idleTimeoutMs: this.limits.idleTimeoutMs,
      startupIdleMs: this.limits.startupIdleMs,
      progressIdleMs: this.limits.progressIdleMs,
      maxResumes: this.policy.maxResumes,
      doneFile: options.doneFile,
      doneMarker: options.doneMarker,
      checkCommand: options.checkCommand,
      watch: this.watcher.sources,
      services: (options.services ?? []).map(
        (service, index) => service.name ?? `service-${index + 1}`,
      ),
      adoptedPid: this.adopted?.pid,
      lockFencingToken: this.lock?.fencingToken,
      resumeOn: this.policy.resumeOn,
      ...(options.labels ? { labels: options.labels } : {}),
    });
    if (this.doneFileWatch?.presentAtStart) {
      const message = `The DONE file ${options.doneFile} was there before the run started (modified ${this.doneFileWatch.modifiedAtStart}); it counts only once it is written again.`;
      this.warnings.push(message);
      this.emit('warning', {
        what: 'done-file-present',
        path: this.doneFile,
        modifiedAt: this.doneFileWatch.modifiedAtStart,
        message,
      });
    }

    const onAbort = () => {
      // A caller's service that failed (the coordination database) ends the run SERVICE_FAILED.
      const why = options.signal?.reason;
      if (!isServiceFailure(why)) return this.stopWith('interrupted');
      if (this.stopKind || this.finishing) return;
      this.emit('interrupted', { service: why.service, message: why.message }, 'SERVICE_FAILED');
      this.externalFailure = why;
      this.stopWith('service-failed', why.service);
    };
    const onLockLost = () =>
      this.stopWith(
        'lock-lost',
        (this.lock?.signal.reason as Error | undefined)?.message ?? 'the lock was lost',
      );
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.lock?.signal.addEventListener('abort', onLockLost, { once: true });
    if (options.signal?.aborted) onAbort();
    if (this.lock?.signal.aborted) onLockLost();
    this.armMissionTimer();
    try {
      const unready = await this.startServices();
      if (unready) return unready;
      return await this.loop();
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.lock?.signal.removeEventListener('abort', onLockLost);
    }
  }

  /** Starts every service and waits for it; returns a finished result when one is not ready. */
  private async startServices(): Promise<RunResult | undefined> {
    const specs = this.options.services ?? [];
    for (const [index, spec] of specs.entries()) {
      const service = startService(spec, {
        index,
        cwd: this.cwd,
        env: this.baseEnv,
        runId: this.runId,
        runDir: this.runDir,
        rotation: this.options.logs,
      });
      this.services.push(service);
      this.emit('service-started', {
        name: service.name,
        pid: service.pid,
        ...(service.identity ? { startTicks: service.identity.startTicks } : {}),
        command: spec.command,
        args: spec.args ?? [],
      });
      const outcome = await waitReady(service, spec, this.stop.signal);
      if (outcome.ready) {
        this.emit('service-ready', {
          name: service.name,
          waitedMs: outcome.waitedMs,
          via: outcome.via,
        });
        service.exited.then(({ code, signal }) => {
          if (this.finishing) return;
          this.emit(
            'service-died',
            { name: service.name, pid: service.pid, code, signal },
            'SERVICE_FAILED',
          );
          this.stopWith('service-failed', service.name);
        });
        continue;
      }
      if (outcome.why === 'died') {
        const { code, signal } = await service.exited;
        this.emit(
          'service-died',
          { name: service.name, pid: service.pid, code, signal, beforeReady: true },
          'SERVICE_FAILED',
        );
        return this.finish(
          'SERVICE_FAILED',
          `Service ${service.name} exited before it was ready (${describeExit(code, signal)}); see service-${service.name}.log.`,
        );
      }
      if (outcome.why === 'aborted') {
        this.emitStopEvent();
        return this.finishStopped();
      }
      this.emit(
        'timeout',
        {
          what: 'service-startup',
          limitMs: spec.startupTimeoutMs ?? 60_000,
          service: service.name,
          lastProbe: outcome.detail,
        },
        'STARTUP_TIMEOUT',
      );
      return this.finish(
        'STARTUP_TIMEOUT',
        `Service ${service.name} was not ready within ${spec.startupTimeoutMs ?? 60_000} ms (last probe: ${outcome.detail}).`,
      );
    }
    return undefined;
  }

  private specFor(attempt: number): CommandSpec {
    return attempt === 1 || !this.options.resume
      ? { command: this.options.command, args: this.options.args ?? [] }
      : this.options.resume;
  }

  private async loop(): Promise<RunResult> {
    let adopting = this.adopted;
    for (;;) {
      this.attempt++;
      const attempt = adopting
        ? await this.adoptAttempt(adopting)
        : await this.spawnAttempt(this.specFor(this.attempt));
      adopting = undefined;
      const { end } = attempt;
      // A heartbeat written just before the end is this attempt's progress: look now, before any event.
      this.pollProgress();
      this.times = undefined;

      if (end.kind === 'spawn-error') {
        this.lastExit = null;
        this.emit(
          'died',
          { cause: 'spawn-error', error: end.error.code, message: end.error.message },
          'CHILD_FAILED',
        );
        return this.finish(
          'CHILD_FAILED',
          `Could not start ${this.specFor(this.attempt).command}: ${end.error.message}`,
        );
      }

      let endedBy: 'exit' | 'idle' | 'startup' | 'progress' | 'completed-alive' = 'exit';
      if (end.kind === 'exit') {
        this.lastExit = { code: end.code, signal: end.signal };
        this.emit('exited', {
          pid: attempt.pid ?? 0,
          code: end.code,
          signal: end.signal,
          uptimeMs: Math.round(attempt.uptimeMs),
        });
        // Output written just before the exit may still be in the pipe.
        await settledWithin(attempt.closed, 100);
        const swept = await this.sweep(attempt);
        if (swept) return swept;
      } else {
        if (end.kind === 'stop') {
          this.emitStopEvent();
        } else if (end.kind === 'output-idle') {
          endedBy = 'idle';
          this.emit('output-idle', { idleTimeoutMs: this.limits.idleTimeoutMs }, 'IDLE_TIMEOUT');
        } else if (end.kind === 'startup-idle') {
          endedBy = 'startup';
          this.emit(
            'startup-idle',
            { startupIdleMs: this.limits.startupIdleMs },
            'STARTUP_TIMEOUT',
          );
        } else if (end.kind === 'progress-idle') {
          endedBy = 'progress';
          this.emit(
            'progress-idle',
            { progressIdleMs: this.limits.progressIdleMs },
            'IDLE_TIMEOUT',
          );
        } else {
          endedBy = 'completed-alive';
        }
        this.isTerminated = true;
        const killed = await this.endTree(attempt, end.kind === 'stop' ? this.stopKind! : end.kind);
        this.lastExit = attempt.child
          ? { code: attempt.child.exitCode, signal: attempt.child.signalCode }
          : { code: null, signal: null };
        if (killed && killed.survivors.length > 0) return this.finishUnkillable();
        if (end.kind === 'stop') return this.finishStopped();
      }
      await settledWithin(attempt.closed, 1000);
      attempt.child?.stdout?.destroy();
      attempt.child?.stderr?.destroy();
      this.fileOutput?.drain();
      this.tee.endAttempt();
      this.pollProgress();

      const quota = this.findQuota();
      const completion = await this.judgeCompletion(end, quota !== undefined);
      if (completion.complete) {
        this.emit('completed', { by: completion.by }, 'OK');
        return this.finish('OK', `Completed (${completion.by}) after ${this.attempt} attempt(s).`, {
          completedBy: completion.by,
        });
      }

      // Stopped meanwhile (interrupt, mission timeout, lock lost, service died): nothing to resume.
      if (this.stopKind) {
        this.emitStopEvent();
        return this.finishStopped();
      }
      const cause: DeathFacts['cause'] =
        endedBy === 'idle' || endedBy === 'progress'
          ? 'IDLE_TIMEOUT'
          : endedBy === 'startup'
            ? 'STARTUP_TIMEOUT'
            : endedBy === 'completed-alive'
              ? 'FALSE_SUCCESS'
              : end.kind === 'exit' && end.code === 0
                ? 'FALSE_SUCCESS'
                : 'CHILD_FAILED';
      const retryable = !(end.kind === 'exit' && (end.code === 126 || end.code === 127));
      const progressed = this.progressSinceResume || completion.checkAdvanced;
      const rule = ruleOfDeath({ cause, exit: this.lastExit });
      const decision = decideAfterDeath(
        this.ledger,
        {
          cause,
          rule,
          retryable,
          progressed,
          uptimeMs: attempt.uptimeMs,
          quota,
          nowMs: this.now(),
        },
        this.policy,
        this.options.random,
      );
      this.emit(
        'died',
        {
          cause:
            endedBy === 'exit'
              ? describeExit(this.lastExit?.code ?? null, this.lastExit?.signal ?? null)
              : end.kind,
          code: this.lastExit?.code ?? null,
          signal: this.lastExit?.signal ?? null,
          progressed,
          quota: quota?.line,
          rule,
        },
        cause,
      );
      const description = `${this.specFor(this.attempt).command} ${describeCause(cause, this.lastExit)}`;
      if (decision.action === 'fail') {
        if (decision.why !== 'not-retryable') this.endedByRule = rule;
        return this.finish(
          decision.reason,
          decision.why === 'not-retryable'
            ? `${description}: the command could not be run; not retried.`
            : decision.why === 'not-in-resume-on'
              ? `${description}; not resumed (${rule} is not in resume-on: ${this.policy.resumeOn.join(',') || 'none'}).`
              : `${description}; no resumes allowed.`,
        );
      }
      if (decision.action === 'handoff') {
        this.endedByRule = rule;
        return this.handoff(cause);
      }

      this.ledger = decision.ledger;
      this.resumedBy[rule] = (this.resumedBy[rule] ?? 0) + 1;
      if (decision.action === 'quota-pause') {
        this.emit(
          'quota-pause',
          {
            delayMs: decision.delayMs,
            until: new Date(decision.untilMs).toISOString(),
            line: quota?.line ?? '',
            resetParsed: decision.resetParsed,
            pauses: decision.ledger.quotaPauses,
            rule,
          },
          cause,
        );
      } else {
        this.emit(
          'resume-scheduled',
          {
            delayMs: decision.delayMs,
            nextAttempt: this.attempt + 1,
            countsAgainstBudget: decision.countsAgainstBudget,
            budgetSpent: decision.ledger.budgetSpent,
            maxResumes: this.policy.maxResumes,
            backoffReset: decision.backoffReset,
            rule,
          },
          cause,
        );
      }
      const waited = await this.wait(decision.delayMs);
      if (waited === 'stopped') {
        this.emitStopEvent();
        return this.finishStopped();
      }
      this.resumes++;
      this.progressSinceResume = false;
    }
  }

  private emitStopEvent(): void {
    switch (this.stopKind) {
      case 'interrupted':
        this.emit('interrupted', {}, 'INTERRUPTED');
        break;
      case 'lock-lost':
        this.emit('lock-lost', { message: this.stopDetail }, 'LOCK_HELD');
        break;
      case 'mission-timeout':
        this.emit(
          'timeout',
          {
            what: 'mission',
            limitMs: this.missionTimeoutMs,
            missionTimeoutMs: this.missionTimeoutMs,
          },
          'MISSION_TIMEOUT',
        );
        break;
      default:
        // service-failed: its service-died event is already written
        break;
    }
  }

  private findQuota(): DeathFacts['quota'] {
    if (!this.quotaPattern) return undefined;
    const match = findQuotaMessage(this.tee.attemptLines(LAST_LINES), this.quotaPattern);
    if (!match) return undefined;
    return { line: match.line, resetAtMs: parseResetTime(match.resetText, { nowMs: this.now() }) };
  }

  /** Whether the run is complete after an attempt ended, and whether the check advanced. */
  private async judgeCompletion(
    end: AttemptEnd,
    quotaHit: boolean,
  ): Promise<{ complete: boolean; by?: string; checkAdvanced: boolean }> {
    const { options } = this;
    if (!this.hasPredicate) {
      // Agent CLIs exit 0 on a usage limit: with a quota pattern, that is no success.
      return end.kind === 'exit' && end.code === 0 && !quotaHit
        ? { complete: true, by: 'exit-0', checkAdvanced: false }
        : { complete: false, checkAdvanced: false };
    }
    let by: string | undefined;
    if (options.doneFile !== undefined || options.doneMarker !== undefined) {
      if (this.doneFileWatch?.isFresh()) by = 'done-file';
      else if (this.markerThisAttempt) by = 'marker';
      else return { complete: false, checkAdvanced: false };
    }
    let checkAdvanced = false;
    if (options.checkCommand !== undefined) {
      const check = await runCheckCommand({
        command: options.checkCommand,
        cwd: this.cwd,
        env: this.baseEnv,
        token: `${this.runId}~check`,
        timeoutMs: options.checkTimeoutMs,
        signal: this.stop.signal,
      });
      checkAdvanced = this.lastCheckOutput !== undefined && check.output !== this.lastCheckOutput;
      this.lastCheckOutput = check.output;
      this.emit('check', {
        passed: check.passed,
        exitCode: check.exitCode,
        durationMs: check.durationMs,
        timedOut: check.timedOut,
        advanced: checkAdvanced,
        output: check.output.split('\n').slice(-10),
      });
      if (!check.passed) return { complete: false, checkAdvanced };
      by = by ? `${by}+check` : 'check';
    }
    if (options.isComplete && !(await options.isComplete()))
      return { complete: false, checkAdvanced };
    return { complete: true, by: by ?? 'predicate', checkAdvanced };
  }

  private async handoff(cause: ReasonCode): Promise<RunResult> {
    const next = this.specFor(this.attempt + 1);
    const manual = shellQuote([next.command, ...(next.args ?? [])]);
    const checkpoint = this.watcher.lastCheckpoint();
    this.emit(
      'handoff',
      {
        lastLines: this.tee.runTail.lines(LAST_LINES),
        resumeCommand: manual,
        cwd: this.cwd,
        lastCause: cause,
        checkpoint,
      },
      'RESUME_BUDGET_EXHAUSTED',
    );
    return this.finish(
      'RESUME_BUDGET_EXHAUSTED',
      `Died ${this.attempt} time(s); the budget of ${this.policy.maxResumes} resume(s) without progress is spent. Resume by hand: ${manual}`,
    );
  }

  /** Waits out a backoff or pause; `stopped` when the run must end meanwhile. */
  private wait(delayMs: number): Promise<'ready' | 'stopped'> {
    return new Promise((settle) => {
      if (this.stop.signal.aborted) return settle('stopped');
      const until = performance.now() + delayMs;
      let timer: NodeJS.Timeout;
      const onStop = () => {
        clearTimeout(timer);
        settle('stopped');
      };
      const arm = () => {
        const remaining = until - performance.now();
        if (remaining <= 0) {
          this.stop.signal.removeEventListener('abort', onStop);
          return settle('ready');
        }
        timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
      };
      this.stop.signal.addEventListener('abort', onStop, { once: true });
      arm();
    });
  }

  private pollProgress(): void {
    if (!this.watcher.active) return;
    const moved = this.watcher.poll();
    if (moved.length === 0) return;
    const at = performance.now();
    if (this.times) this.times.lastProgressAtMs = at;
    this.progressSinceResume = true;
    this.pendingProgress.changes += moved.length;
    for (const source of moved) this.pendingProgress.sources.add(source);
    if (!this.progressEventThisAttempt || at - this.lastProgressEventAt >= PROGRESS_JOURNAL_MS) {
      this.progressEventThisAttempt = true;
      this.lastProgressEventAt = at;
      const sources = [...this.pendingProgress.sources];
      this.emit('progress', {
        source: sources[0]!,
        sources,
        changes: this.pendingProgress.changes,
        checkpoint: this.watcher.lastCheckpoint(),
      });
      this.pendingProgress = { changes: 0, sources: new Set() };
    }
  }

  private attemptEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.baseEnv, RUNWARDEN_ATTEMPT: String(this.attempt) };
    const checkpoint = this.watcher.lastCheckpoint();
    if (this.attempt > 1 && checkpoint) env.RUNWARDEN_CHECKPOINT = JSON.stringify(checkpoint);
    return env;
  }

  private beginAttempt(watchesOutput: boolean): AttemptTimes {
    this.tee.startAttempt();
    this.markerThisAttempt = false;
    this.progressEventThisAttempt = false;
    const times: AttemptTimes = {
      startedAtMs: performance.now(),
      watchesOutput,
      watchesProgress: this.watcher.active,
    };
    this.times = times;
    return times;
  }

  private tickMs(extra: number[] = []): number {
    const windows = [
      this.limits.startupIdleMs,
      this.limits.idleTimeoutMs,
      this.limits.progressIdleMs,
      this.limits.completionGraceMs,
    ].filter((value) => value > 0);
    const quarter = Math.floor(Math.min(1000, ...windows) / 4);
    return Math.max(10, Math.min(250, quarter, ...extra));
  }

  private progressPollMs(): number {
    const configured = this.options.progressPollMs;
    if (configured !== undefined) return configured;
    const idle = this.limits.progressIdleMs;
    return Math.max(10, Math.min(1000, idle > 0 ? Math.floor(idle / 4) : 1000));
  }

  /** Tells `onPulse` that this run's watchdog ticks (`watching`) or that its ticker stopped (`between`). */
  private pulse(phase: WatchdogPulse['phase'], intervalMs: number, times: AttemptTimes): void {
    if (!this.options.onPulse) return;
    try {
      this.options.onPulse(
        pulseFrom({
          phase,
          intervalMs,
          attempt: this.attempt,
          lastOutputAtPerfMs: times.lastOutputAtMs ?? times.firstOutputAtMs,
          missionDeadlinePerfMs: this.limits.missionDeadlineMs,
          watchesOutput: times.watchesOutput,
          watchesProgress: times.watchesProgress,
        }),
      );
    } catch {
      // A listener's bug must not end the supervision.
    }
  }

  /** Runs the shared per-tick checks; returns a verdict that ends the attempt, if any. */
  private tick(
    times: AttemptTimes,
    lastPoll: { at: number },
    intervalMs: number,
  ): AttemptEnd | undefined {
    this.pulse('watching', intervalMs, times);
    this.fileOutput?.poll();
    const at = performance.now();
    if (this.watcher.active && at - lastPoll.at >= this.progressPollMs()) {
      lastPoll.at = at;
      this.pollProgress();
    }
    if (
      this.doneFileWatch !== undefined &&
      times.completionSeenAtMs === undefined &&
      this.doneFileWatch.isFresh()
    ) {
      times.completionSeenAtMs = at;
    }
    const verdict = judgeLiveness(times, this.limits, at);
    switch (verdict.state) {
      case 'alive':
        return undefined;
      case 'mission-timeout':
        this.stopWith('mission-timeout');
        return { kind: 'stop' };
      default:
        return { kind: verdict.state };
    }
  }

  private spawnAttempt(spec: CommandSpec): Promise<Attempt> {
    const times = this.beginAttempt(true);
    return new Promise((settle) => {
      const child = spawn(spec.command, spec.args ?? [], {
        cwd: this.cwd,
        env: this.attemptEnv(),
        detached: true,
        stdio: this.fileOutput
          ? ['ignore', ...this.fileOutput.openForChild()]
          : ['ignore', 'pipe', 'pipe'],
      });
      this.fileOutput?.releaseChildFds();
      const closed = new Promise((done) => child.once('close', done));
      this.currentChild = child;
      let identity: ProcessIdentity | null = null;
      let settled = false;
      const lastPoll = { at: performance.now() };
      const settleWith = (end: AttemptEnd) => {
        if (settled) return;
        settled = true;
        clearInterval(ticker);
        this.pulse('between', 0, times);
        this.stop.signal.removeEventListener('abort', onStop);
        this.fileOutput?.drain();
        settle({
          end,
          pid: child.pid,
          identity,
          groups:
            child.pid !== undefined && identity
              ? [{ pgid: child.pid, leaderStartTicks: identity.startTicks }]
              : [],
          token: this.runId,
          child,
          closed,
          uptimeMs: performance.now() - times.startedAtMs,
        });
      };
      child.on('error', (error: NodeJS.ErrnoException) => {
        if (child.pid === undefined) settleWith({ kind: 'spawn-error', error });
      });
      child.on('exit', (code, signal) => settleWith({ kind: 'exit', code, signal }));
      const onStop = () => settleWith({ kind: 'stop' });
      this.stop.signal.addEventListener('abort', onStop, { once: true });
      if (child.pid !== undefined) {
        if (child.stdout) this.tee.attach(child.stdout, 'stdout', this.attempt);
        if (child.stderr) this.tee.attach(child.stderr, 'stderr', this.attempt);
        identity = captureIdentity(child.pid, { token: this.runId, tokenSource: 'env' });
        this.emit(this.attempt === 1 ? 'spawned' : 'resumed', {
          pid: child.pid,
          ...(identity
            ? { startTicks: identity.startTicks, startTimeMs: identity.startTimeMs }
            : {}),
          command: spec.command,
          args: spec.args ?? [],
          ...(this.attempt > 1 ? { checkpoint: this.watcher.lastCheckpoint() } : {}),
        });
      }
      const intervalMs = this.tickMs();
      const ticker = setInterval(() => {
        const end = this.tick(times, lastPoll, intervalMs);
        if (end) settleWith(end);
      }, intervalMs);
      if (this.stop.signal.aborted) onStop();
    });
  }

  private adoptAttempt(identity: ProcessIdentity): Promise<Attempt> {
    const tails = adoptedTails(this.options.adopt, this.cwd, this.fileOutput?.paths);
    const watchesOutput = tails.length > 0 || this.fileOutput !== undefined;
    const times = this.beginAttempt(watchesOutput);
    if (watchesOutput) times.firstOutputAtMs = times.startedAtMs;
    const info = getProcessInfoSync(identity.pid, { cmdline: false });
    const groups =
      info && info.pgid === identity.pid
        ? [{ pgid: identity.pid, leaderStartTicks: identity.startTicks }]
        : [];
    this.emit('adopted', {
      pid: identity.pid,
      startTicks: identity.startTicks,
      token: identity.token,
      ...adoptedFiles(this.options.adopt, this.cwd),
    });
    const readOutput = () => {
      for (const tail of tails)
        tail.read((chunk) => this.tee.write(chunk, { stream: tail.stream, attempt: this.attempt }));
    };
    const pollMs = this.options.adoptPollMs ?? WATCHDOG_DEFAULTS.adoptPollMs;
    return new Promise((settle) => {
      let settled = false;
      const lastPoll = { at: performance.now() };
      let lastIdentityCheck = performance.now();
      const settleWith = (end: AttemptEnd) => {
        if (settled) return;
        settled = true;
        clearInterval(ticker);
        this.pulse('between', 0, times);
        this.stop.signal.removeEventListener('abort', onStop);
        readOutput();
        for (const tail of tails) tail.close();
        settle({
          end,
          pid: identity.pid,
          identity,
          groups,
          token: identity.token,
          child: undefined,
          closed: Promise.resolve(),
          uptimeMs: performance.now() - times.startedAtMs,
        });
      };
      const onStop = () => settleWith({ kind: 'stop' });
      this.stop.signal.addEventListener('abort', onStop, { once: true });
      const intervalMs = Math.min(pollMs, this.tickMs());
      const ticker = setInterval(() => {
        const at = performance.now();
        if (at - lastIdentityCheck >= pollMs - 1) {
          lastIdentityCheck = at;
          const verdict = verifyIdentity(identity);
          if (verdict.status === 'dead' || verdict.status === 'reused')
            return settleWith({ kind: 'exit', code: null, signal: null });
        }
        readOutput();
        const end = this.tick(times, lastPoll, intervalMs);
        if (end) settleWith(end);
      }, intervalMs);
      if (this.stop.signal.aborted) onStop();
    });
  }

  /** After the leader exited: end what is left of its tree (systemd `KillMode=control-group`). */
  private async sweep(attempt: Attempt): Promise<RunResult | undefined> {
    if (!attempt.token && attempt.groups.length === 0) return undefined;
    const sweep = await killTree(attempt.token ? { token: attempt.token } : { token: this.runId }, {
      graceMs: this.killGraceMs,
      processGroups: attempt.groups,
    }).catch(() => null);
    if (sweep && sweep.killed.length > 0) {
      this.emit('kill', {
        why: 'leftover-after-exit',
        killed: sweep.killed,
        survivors: sweep.survivors,
        escalated: sweep.escalated,
        durationMs: sweep.durationMs,
      });
      if (sweep.escalated) this.isForcefullyTerminated = true;
    }
    if (sweep && sweep.survivors.length > 0) {
      this.survivors = sweep.survivors.map((survivor) => ({
        pid: survivor.pid,
        reason: survivor.reason,
      }));
      return this.finishUnkillable();
    }
    return undefined;
  }

  private async endTree(attempt: Attempt, why: string): Promise<KillTreeResult | null> {
    let result: KillTreeResult | null = null;
    const root = attempt.identity ?? attempt.pid;
    try {
      if (root === undefined)
        throw new KillTreeError({ code: 'ERR_INVALID_TARGET', message: 'no root' });
      result = await killTree(root, {
        graceMs: this.killGraceMs,
        token: attempt.token,
        processGroups: attempt.groups,
      });
    } catch (error) {
      if (!KillTreeError.isInstance(error)) throw error;
      // The root is gone or not ours any more: sweep what still carries the token.
      result = attempt.token
        ? await killTree(
            { token: attempt.token },
            { graceMs: this.killGraceMs, processGroups: attempt.groups },
          ).catch(() => null)
        : null;
    }
    if (result) {
      this.emit('kill', {
        why,
        killed: result.killed,
        survivors: result.survivors,
        escalated: result.escalated,
        durationMs: result.durationMs,
      });
      if (result.escalated) this.isForcefullyTerminated = true;
      this.survivors = result.survivors.map((survivor) => ({
        pid: survivor.pid,
        reason: survivor.reason,
      }));
    }
    return result;
  }

  private finishUnkillable(): Promise<RunResult> {
    return this.finish(
      'UNKILLABLE',
      `Part of the tree survived SIGKILL: ${this.survivors.map((survivor) => survivor.pid).join(', ')}`,
    );
  }

  private finishStopped(): Promise<RunResult> {
    switch (this.stopKind) {
      case 'mission-timeout':
        return this.finish(
          'MISSION_TIMEOUT',
          `Mission timeout of ${this.missionTimeoutMs} ms exceeded; the tree was ended.`,
        );
      case 'lock-lost':
        return this.finish(
          'LOCK_HELD',
          `Lost the run's lock (${this.stopDetail}); the tree was ended.`,
        );
      case 'service-failed':
        return this.finish(
          'SERVICE_FAILED',
          this.externalFailure
            ? `${this.externalFailure.service} failed mid-run (${this.externalFailure.message}); the tree was ended.`
            : `Service ${this.stopDetail} died mid-run; the tree was ended.`,
        );
      default:
        return this.finish('INTERRUPTED', 'Interrupted; the tree was ended.');
    }
  }

  private async finish(
    reason: ReasonCode,
    message: string,
    extra: Partial<RunResult> = {},
  ): Promise<RunResult> {
    this.finishing = true;
    if (this.missionTimer) clearTimeout(this.missionTimer);
    // The tree is ended; what its pipes still hold is not waited for.
    this.currentChild?.stdout?.destroy();
    this.currentChild?.stderr?.destroy();
    for (const service of this.services) {
      const stopped = await stopService(service, this.killGraceMs);
      if (stopped && stopped.killed.length + stopped.survivors.length > 0) {
        this.emit('kill', {
          why: `service-stop:${service.name}`,
          killed: stopped.killed,
          survivors: stopped.survivors,
          escalated: stopped.escalated,
          durationMs: stopped.durationMs,
        });
      }
    }
    const checkpoint = this.watcher.lastCheckpoint();
    const result: RunResult = {
      ok: reason === 'OK',
      reason,
      exitCode: EXIT_CODES[reason],
      runId: this.runId,
      runDir: this.runDir,
      attempts: this.attempt,
      resumes: this.resumes,
      budgetSpent: this.ledger.budgetSpent,
      quotaPauses: this.ledger.quotaPauses,
      durationMs: Math.round(performance.now() - this.startedPerf),
      timedOut: reason === 'MISSION_TIMEOUT',
      isTerminated: this.isTerminated,
      isForcefullyTerminated: this.isForcefullyTerminated,
      lastExit: this.lastExit,
      survivors: this.survivors,
      ...(checkpoint ? { checkpoint } : {}),
      resumeOn: [...this.policy.resumeOn],
      resumedBy: { ...this.resumedBy },
      ...(this.endedByRule ? { endedByRule: this.endedByRule } : {}),
      warnings: [...this.warnings],
      ...extra,
      message,
    };
    this.emit(
      'ended',
      {
        exitCode: result.exitCode,
        attempts: result.attempts,
        resumes: result.resumes,
        budgetSpent: result.budgetSpent,
        durationMs: result.durationMs,
        message,
        survivors: result.survivors,
        resumedBy: result.resumedBy,
        ...(result.endedByRule ? { rule: result.endedByRule } : {}),
      },
      reason,
    );
    this.fileOutput?.close();
    this.tee.close();
    this.journal.close();
    await this.options.onFinish?.(result);
    return result;
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `killed by ${signal}`;
  if (code === null) return 'gone';
  return `exited ${code}`;
}

function describeCause(cause: ReasonCode, lastExit: RunResult['lastExit']): string {
  switch (cause) {
    case 'IDLE_TIMEOUT':
      return 'went idle';
    case 'STARTUP_TIMEOUT':
      return 'never printed';
    case 'FALSE_SUCCESS':
      return `${describeExit(lastExit?.code ?? 0, lastExit?.signal ?? null)} without completing`;
    default:
      return describeExit(lastExit?.code ?? null, lastExit?.signal ?? null);
  }
}
