/**
 * One run's context: its settings, the parts it writes through (journal,
 * logs, output tee, progress sources), its stop, and the counters every
 * attempt adds to. Made once per run, before anything is started.
 */

import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { LockHandle } from '@runwarden/lock-core';
import type { ProcessIdentity } from '@runwarden/process-identity';
import { DoneFileWatch } from '../done-file.js';
import { FileOutput } from '../file-output.js';
import { Journal } from '../journal.js';
import type { JournalEvent, JournalEventType } from '../journal-schema.js';
import type { AttemptTimes } from '../liveness.js';
import type { CommandSpec, SuperviseOptions } from '../options.js';
import { ProgressWatcher } from '../progress.js';
import { EMPTY_LEDGER, type ResumeLedger, type ResumeRule } from '../resume-policy.js';
import type { RunResult } from '../run-result.js';
import type { RunningService } from '../service.js';
import { OutputTee } from '../tee.js';
import type { RunClock } from './clock.js';
import type { ProcessExit } from './death.js';
import { ProgressTracker } from './progress-tracker.js';
import { ensureRunDir } from './run-dir.js';
import { type RunSettings, resolveRunSettings } from './run-settings.js';
import { RunStop } from './stop.js';

/** What a run has done so far; the result is made of it. */
export interface RunState {
  /** The current attempt, 1-based (0 before the first). */
  attempt: number;
  /** Resumes done (quota pauses included). */
  resumes: number;
  /** The resume budget and backoff spent so far. */
  ledger: ResumeLedger;
  /** runwarden ended a tree of the run. */
  isTerminated: boolean;
  /** The forced signal was needed. */
  isForcefullyTerminated: boolean;
  /** How the last attempt's process ended. */
  lastExit: ProcessExit | null;
  /** What survived SIGKILL. */
  survivors: RunResult['survivors'];
  /** Resumes and pauses by the rule of the death before them. */
  resumedBy: Partial<Record<ResumeRule, number>>;
  /** The rule of the death that ended the run. */
  endedByRule: ResumeRule | undefined;
  /** What the run warned about. */
  warnings: string[];
  /** The completion check's output last time (a change is progress). */
  lastCheckOutput: string | undefined;
  /** The running attempt's times; `undefined` between attempts. */
  times: AttemptTimes | undefined;
  /** The done marker was a line of this attempt's output. */
  markerThisAttempt: boolean;
  /** The last child spawned (its pipes are cut when the run finishes). */
  currentChild: ChildProcess | undefined;
}

/** One run's settings, parts, stop and state. */
export class RunContext {
  readonly clock: RunClock;
  /** The run's start, on the monotonic clock. */
  readonly startedAtMs: number;
  readonly settings: RunSettings;
  readonly doneFileWatch: DoneFileWatch | undefined;
  readonly journal: Journal;
  readonly progress: ProgressTracker;
  /** With `output: 'file'`: the log files are the child's stdout/stderr, followed here. */
  readonly fileOutput: FileOutput | undefined;
  readonly tee: OutputTee;
  readonly stop = new RunStop();
  readonly services: RunningService[] = [];
  readonly state: RunState;

  /**
   * Resolves the settings, creates the run directory, opens the journal and
   * the logs, and takes the baselines (the DONE file, the progress sources).
   *
   * @param options - the validated options.
   * @param adopted - the process to adopt as the first attempt, if any.
   * @param lock - the run's lock, if any.
   * @throws {WatchdogError} `ERR_UNSAFE_PATH` for an unusable run directory, journal or log.
   */
  constructor(
    readonly options: SuperviseOptions,
    readonly adopted: ProcessIdentity | undefined,
    readonly lock: LockHandle | undefined,
  ) {
    this.clock = {
      now: options.now ?? Date.now,
      monotonicNow: options.monotonicNow ?? (() => performance.now()),
    };
    this.startedAtMs = this.clock.monotonicNow();
    const settings = resolveRunSettings(options, this.startedAtMs);
    this.settings = settings;
    // Only a DONE file that appears or changes from now on is this run's.
    this.doneFileWatch =
      settings.doneFile !== undefined ? new DoneFileWatch(settings.doneFile) : undefined;
    ensureRunDir(settings.runDir);
    this.journal = new Journal(
      join(settings.runDir, 'journal.jsonl'),
      settings.runId,
      this.clock.now,
    );
    const watcher = new ProgressWatcher({
      watchPaths: options.watch,
      heartbeatFile: options.heartbeatFile,
      cwd: settings.cwd,
    });
    this.progress = new ProgressTracker(
      watcher,
      (type, data) => this.emit(type, data),
      this.clock.monotonicNow,
    );
    const stdoutPath = join(settings.runDir, 'stdout.log');
    const stderrPath = join(settings.runDir, 'stderr.log');
    this.fileOutput =
      options.output === 'file'
        ? new FileOutput({
            stdoutPath,
            stderrPath,
            rotation: options.logs,
            onChunk: (chunk, stream) => {
              this.tee.write(chunk, { stream, attempt: this.state.attempt });
              (stream === 'stdout' ? options.stdout : options.stderr)?.write(chunk);
            },
          })
        : undefined;
    const continued = options.adopt?.continueFrom;
    this.state = {
      attempt: continued ? continued.attempt - 1 : 0,
      resumes: continued?.resumes ?? 0,
      ledger: {
        ...EMPTY_LEDGER,
        budgetSpent: continued?.budgetSpent ?? 0,
        quotaPauses: continued?.quotaPauses ?? 0,
      },
      isTerminated: false,
      isForcefullyTerminated: false,
      lastExit: null,
      survivors: [],
      resumedBy: {},
      endedByRule: undefined,
      warnings: [],
      lastCheckOutput: undefined,
      times: undefined,
      markerThisAttempt: false,
      currentChild: undefined,
    };
    this.tee = new OutputTee({
      writeLogs: this.fileOutput === undefined,
      stdoutPath,
      stderrPath,
      rotation: options.logs,
      subscribers: options.subscribers,
      stdout: options.stdout,
      stderr: options.stderr,
      doneMarker: options.doneMarker,
      onOutput: () => {
        const times = this.state.times;
        if (!times) return;
        const at = this.clock.monotonicNow();
        times.firstOutputAtMs ??= at;
        times.lastOutputAtMs = at;
      },
      onMarker: () => {
        this.state.markerThisAttempt = true;
        if (this.state.times) this.state.times.completionSeenAtMs ??= this.clock.monotonicNow();
      },
    });
  }

  /** The progress sources. */
  get watcher(): ProgressWatcher {
    return this.progress.watcher;
  }

  /**
   * Writes one journal event and hands it to `onEvent` (whose errors are ignored).
   *
   * @param type - the transition.
   * @param data - its fields. @default {}
   * @param reason - its reason code. @default null
   * @param attempt - the attempt it belongs to. @default the current one
   * @returns the event as written.
   */
  emit(
    type: JournalEventType,
    data: Record<string, unknown> = {},
    reason: JournalEvent['reason'] = null,
    attempt = this.state.attempt,
  ): JournalEvent {
    const event = this.journal.append(type, attempt, data, reason);
    try {
      this.options.onEvent?.(event);
    } catch {
      // A listener's bug must not end the supervision; the event is in the journal.
    }
    return event;
  }

  /**
   * The command of an attempt: the command itself for the first, `resume` (when set) after.
   *
   * @param attempt - 1-based.
   * @returns the command and its arguments.
   */
  specFor(attempt: number): CommandSpec {
    return attempt === 1 || !this.options.resume
      ? { command: this.options.command, args: this.options.args ?? [] }
      : this.options.resume;
  }

  /**
   * The environment of the current attempt: the run's, `RUNWARDEN_ATTEMPT`,
   * and on a resume the last checkpoint as `RUNWARDEN_CHECKPOINT`.
   *
   * @returns the environment.
   */
  attemptEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...this.settings.baseEnv,
      RUNWARDEN_ATTEMPT: String(this.state.attempt),
    };
    const checkpoint = this.watcher.lastCheckpoint();
    if (this.state.attempt > 1 && checkpoint) env.RUNWARDEN_CHECKPOINT = JSON.stringify(checkpoint);
    return env;
  }
}
