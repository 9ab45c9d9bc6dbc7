import type { Writable } from 'node:stream';
import type { LockHandle, LockOptions } from '@runwarden/lock-core';
import { z } from 'zod';
import type { BackoffOptions } from './backoff.js';
import { WatchdogError } from './errors.js';
import type { JournalEvent } from './journal.js';
import { RESUME_RULES, type ResumeRule } from './resume-policy.js';
import type { LogRotationOptions } from './rotating-log.js';
import type { ServiceSpec } from './service.js';
import type { ServiceFailureReason } from './stop-reason.js';
import type { OutputSubscriber } from './tee.js';

/** A command and its arguments, run without a shell. */
export interface CommandSpec {
  /** The program. */
  command: string;
  /** Its arguments. @default [] */
  args?: string[];
}

/** Quota (usage-limit) pauses: a death whose last lines match `pattern` is paused, not counted. */
export interface QuotaOptions {
  /**
   * The message to look for in the dead attempt's last 50 lines; a named group
   * `reset` marks the reset time (else the whole line is searched for one, see
   * {@link parseResetTime}). A string is compiled case-insensitively.
   * @default AGENT_QUOTA_PATTERN
   */
  pattern?: RegExp | string;
  /**
   * The pause when no future reset time is found, in ms.
   * @default 900000 (15 min)
   */
  fallbackPauseMs?: number;
  /**
   * The longest pause, in ms, whatever the message says.
   * @default 21600000 (6 h)
   */
  maxPauseMs?: number;
  /**
   * Added after a parsed reset time, in ms.
   * @default 30000
   */
  marginMs?: number;
  /**
   * Quota pauses allowed per run; past them a quota death counts like any other.
   * @default 20
   */
  maxPauses?: number;
}

/** A process to adopt as the first attempt: one this watchdog did not start. */
export interface AdoptOptions {
  /** Its pid. */
  pid: number;
  /** Its start time (`/proc/<pid>/stat` field 22); when given, a different process under the pid is refused. */
  startTicks?: number;
  /** A log file it writes (its stdout); its growth counts as output (idle windows), its tail feeds the quota check and hand-off. */
  outputFile?: string;
  /** A second log file it writes (its stderr), followed like `outputFile`. */
  stderrFile?: string;
  /**
   * Where the run stood when its previous watchdog died (from the run's
   * journal, see `summarizeJournal`): the adopted process is this attempt, and
   * the resumes and budget already spent stay spent, so an adoption never
   * resets the budget.
   * @default attempt 1, nothing spent
   */
  continueFrom?: AdoptContinuation;
}

/** The counters an adopted run continues from ({@link AdoptOptions.continueFrom}). */
export interface AdoptContinuation {
  /** The attempt the adopted process is (1-based). */
  attempt: number;
  /** Resumes done so far. @default 0 */
  resumes?: number;
  /** Resumes that counted against `maxResumes`. @default 0 */
  budgetSpent?: number;
  /** Quota pauses taken. @default 0 */
  quotaPauses?: number;
}

/** The run's lock: an acquired handle (held, watched, released by whoever acquired it) or a path to acquire now and release at the end. */
export type RunLockOption = LockHandle | (LockOptions & { path: string });

/** Options for {@link superviseRun}. Durations are in ms; `0` turns a window off. */
export interface SuperviseOptions {
  /** The program to run (no shell). */
  command: string;
  /** Its arguments. @default [] */
  args?: string[];
  /** Working directory. @default process.cwd() */
  cwd?: string;
  /** Extra environment, merged over `process.env`; `RUNWARDEN_RUN_ID` and `RUNWARDEN_ATTEMPT` are always set. */
  env?: NodeJS.ProcessEnv;
  /** The run id. @default a time-sortable random id ({@link newRunId}) */
  runId?: string;
  /** Where `stdout.log`, `stderr.log` and `journal.jsonl` go (created 0700, never a symlink). */
  runDir: string;
  /**
   * Wall clock over all attempts, backoffs and pauses; past it the tree is
   * ended and the run ends `MISSION_TIMEOUT` (exit 2).
   * @default 0 (none)
   */
  missionTimeoutMs?: number;
  /**
   * No output for this long after the first byte ends the attempt (`output-idle`, `IDLE_TIMEOUT`).
   * @default 1800000 (30 min)
   */
  idleTimeoutMs?: number;
  /**
   * No first byte for this long after a spawn ends the attempt (`startup-idle`, `STARTUP_TIMEOUT`).
   * @default idleTimeoutMs
   */
  startupIdleMs?: number;
  /**
   * Former name of `startupIdleMs`.
   * @deprecated use `startupIdleMs`.
   */
  startupTimeoutMs?: number;
  /**
   * No progress source moved for this long ends the attempt (`progress-idle`,
   * `IDLE_TIMEOUT`): it talks but does nothing. Needs `watch` or `heartbeatFile`.
   * @default 0 (off)
   */
  progressIdleMs?: number;
  /** Files or directories whose change is progress, e.g. `.git/logs/HEAD` (every commit appends to it). @default [] */
  watch?: string[];
  /**
   * A file the agent touches as it works; a change is progress, and its JSON
   * object content is the checkpoint handed to resumes as `RUNWARDEN_CHECKPOINT`.
   */
  heartbeatFile?: string;
  /**
   * Resumes after deaths without progress; past it `RESUME_BUDGET_EXHAUSTED`
   * (exit 4) and a hand-off event. `0` turns resuming off (the cause is the
   * result).
   * @default 20
   */
  maxResumes?: number;
  /** The command for a resume. @default the original command */
  resume?: CommandSpec;
  /**
   * Which deaths are resumed, in systemd's `Restart=` vocabulary
   * ({@link RESUME_RULES}: `hang`, `signal`, `exit-0`, `failure`); any other
   * death ends the run with its cause (an exit 1 → `CHILD_FAILED`, the code in
   * the message). `[]` resumes nothing (quota pauses still apply). The rule of
   * each death is in its `died` event, `resume-scheduled` and `ended`.
   * @default DEFAULT_RESUME_ON: `['hang', 'signal']` without a completion
   *   predicate, all four with one (`doneFile`, `doneMarker`, `checkCommand`, `isComplete`)
   */
  resumeOn?: ResumeRule[];
  /**
   * Completion predicate: this file exists (relative to `cwd`) and is this
   * run's: it appeared, or its modification time moved, after the run started.
   * One already there at the start is named in a `warning` journal event.
   */
  doneFile?: string;
  /** Completion predicate: a line of output equal to this, trimmed (`## DONE`). */
  doneMarker?: string;
  /** Completion predicate: this shell command must also exit 0 (after the DONE file or marker, when those are set). */
  checkCommand?: string;
  /**
   * Longest run of `checkCommand`, in ms.
   * @default 300000
   */
  checkTimeoutMs?: number;
  /** Completion predicate in code, checked after each attempt; combined with the others (all must hold). */
  isComplete?: () => boolean | Promise<boolean>;
  /**
   * After the DONE file or marker appears, how long the child may take to exit
   * before its tree is ended and the completion judged (an agent that prints
   * its result then never exits).
   * @default 30000
   */
  completionGraceMs?: number;
  /** Resume backoff. @default 1 s doubling to 5 min, ±20 % jitter */
  backoff?: BackoffOptions;
  /**
   * Progress for this long (summed over consecutive progressing attempts; with
   * no progress source, one attempt's uptime) resets the backoff, in ms.
   * @default 600000 (10 min)
   */
  backoffResetMs?: number;
  /** Quota pauses; off when absent. */
  quota?: QuotaOptions;
  /** Sidecars started (and waited for) before the first attempt, ended with the run. @default [] */
  services?: ServiceSpec[];
  /** Adopt a running process as the first attempt; later attempts run `resume` (or the command). */
  adopt?: AdoptOptions;
  /**
   * How often an adopted process's identity is checked, in ms.
   * @default 200
   */
  adoptPollMs?: number;
  /**
   * How often progress sources are stat'ed, in ms.
   * @default 1000 (or a quarter of `progressIdleMs` when smaller)
   */
  progressPollMs?: number;
  /**
   * How the child's stdout and stderr reach the logs: `pipe` (pipes read by
   * this process, teed to the logs) or `file` (the log files themselves are
   * the child's stdout and stderr, opened `O_APPEND`, and are followed; no
   * pipe from the child into this process, so the child survives this
   * process's death and can be adopted; rotation is copy-truncate, see
   * `FileOutput`).
   * @default 'pipe'
   */
  output?: 'pipe' | 'file';
  /** Size cap and rotation of `stdout.log` and `stderr.log`. @default 50 MB × 5 backups each */
  logs?: LogRotationOptions;
  /** Called with every output chunk after it is logged (e.g. a hasher). @default [] */
  subscribers?: OutputSubscriber[];
  /** The run's lock, held for the whole run; its loss ends the run `LOCK_HELD`. */
  lock?: RunLockOption;
  /** Called with the result after the tree and services are ended and before a lock acquired here is released (write evidence here). */
  onFinish?: (result: import('./supervise.js').RunResult) => void | Promise<void>;
  /**
   * Grace period between the graceful and the forced signal when a tree is ended, in ms.
   * @default 5000
   */
  killGraceMs?: number;
  /**
   * Aborting it ends the tree and the run with `INTERRUPTED` (exit 130); with
   * a {@link ServiceFailureReason} as the abort reason (`serviceFailure(…)`),
   * with `SERVICE_FAILED` (exit 1), the journal naming the service.
   */
  signal?: AbortSignal;
  /** Called with every journal event, after it is written; what it throws is ignored. */
  onEvent?: (event: JournalEvent) => void;
  /**
   * Called on every tick of the watchdog's ticker while an attempt is live
   * (`watching`), and once when that ticker stops (`between`): a heartbeat
   * the watchdog really emits (see `judgePulse`). What it throws is ignored.
   * @default none
   */
  onPulse?: (pulse: import('./pulse.js').WatchdogPulse) => void;
  /** Where the child's stdout is passed through besides the log. @default not passed through */
  stdout?: Writable;
  /** Where the child's stderr is passed through besides the log. @default not passed through */
  stderr?: Writable;
  /** Free-form labels written into the `started` journal event (the CLI writes `target`), for listings of runs. */
  labels?: Record<string, string>;
  /** Injected clock for the journal's timestamps and quota reset times, Unix ms. @default Date.now */
  now?: () => number;
  /** Injected randomness for backoff jitter, in [0, 1). @default Math.random */
  random?: () => number;
}

const ms = (what: string) =>
  z
    .number({ error: `${what} must be a number of ms` })
    .int({ error: `${what} must be a whole number of ms` })
    .nonnegative({ error: `${what} must not be negative` });
const count = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be a whole number` })
    .nonnegative({ error: `${what} must not be negative` });
const nonEmpty = z.string().min(1, { error: 'must not be empty' });
const fn = z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function', {
  error: 'must be a function',
});
const writable = z.custom<Writable>(
  (value) => typeof (value as Writable | undefined)?.write === 'function',
  { error: 'must be a writable stream' },
);

const regexLike = z.union([z.instanceof(RegExp), z.string()]).superRefine((value, context) => {
  if (typeof value !== 'string') return;
  try {
    new RegExp(value, 'i');
  } catch (error) {
    context.addIssue({
      code: 'custom',
      message: `is not a valid regular expression: ${(error as Error).message}`,
    });
  }
});

/** zod schema of a service's readiness URL: `http://` or `https://` only. */
export const readyUrlSchema = z.url({
  protocol: /^https?$/,
  error: 'must be an http:// or https:// URL',
});

/** zod schema of a service's readiness TCP port: 1 to 65535. */
export const readyPortSchema = z
  .number()
  .int()
  .min(1)
  .max(65_535, { error: 'must be a port from 1 to 65535' });

const serviceSchema = z
  .object({
    name: z
      .string()
      .regex(/^[\w.-]+$/, { error: 'must be letters, digits, `.`, `_` or `-`' })
      .optional(),
    command: nonEmpty,
    args: z.array(z.string()).optional(),
    readyUrl: readyUrlSchema.optional(),
    readyPort: readyPortSchema.optional(),
    readyHost: nonEmpty.optional(),
    startupTimeoutMs: ms('startupTimeoutMs').optional(),
    connectTimeoutMs: ms('connectTimeoutMs').min(1).optional(),
    readTimeoutMs: ms('readTimeoutMs').min(1).optional(),
    probeIntervalMs: ms('probeIntervalMs').optional(),
  })
  .refine((service) => service.readyUrl === undefined || service.readyPort === undefined, {
    error: 'give readyUrl or readyPort, not both',
  });

/** zod schema of {@link SuperviseOptions}: every value checked before anything starts. */
export const superviseOptionsSchema = z.object({
  command: nonEmpty,
  args: z.array(z.string()).optional(),
  cwd: nonEmpty.optional(),
  env: z.record(z.string(), z.string().optional()).optional(),
  runId: z
    .string()
    .regex(/^[\w.-]+$/, { error: 'must be letters, digits, `.`, `_` or `-`' })
    .optional(),
  runDir: nonEmpty,
  missionTimeoutMs: ms('missionTimeoutMs').optional(),
  idleTimeoutMs: ms('idleTimeoutMs').optional(),
  startupIdleMs: ms('startupIdleMs').optional(),
  startupTimeoutMs: ms('startupTimeoutMs').optional(),
  progressIdleMs: ms('progressIdleMs').optional(),
  watch: z.array(nonEmpty).optional(),
  heartbeatFile: nonEmpty.optional(),
  maxResumes: count('maxResumes').optional(),
  resume: z.object({ command: nonEmpty, args: z.array(z.string()).optional() }).optional(),
  resumeOn: z
    .array(z.enum(RESUME_RULES, { error: `must be one of ${RESUME_RULES.join(', ')}` }))
    .optional(),
  doneFile: nonEmpty.optional(),
  doneMarker: z.string().trim().min(1, { error: 'must not be blank' }).optional(),
  checkCommand: nonEmpty.optional(),
  checkTimeoutMs: ms('checkTimeoutMs').min(1).optional(),
  isComplete: fn.optional(),
  completionGraceMs: ms('completionGraceMs').optional(),
  backoff: z
    .object({
      initialMs: ms('initialMs').optional(),
      maxMs: ms('maxMs').optional(),
      factor: z.number().min(1, { error: 'must be at least 1' }).optional(),
      jitter: z.number().min(0).max(1, { error: 'must be between 0 and 1' }).optional(),
    })
    .optional(),
  backoffResetMs: ms('backoffResetMs').optional(),
  quota: z
    .object({
      pattern: regexLike.optional(),
      fallbackPauseMs: ms('fallbackPauseMs').optional(),
      maxPauseMs: ms('maxPauseMs').optional(),
      marginMs: ms('marginMs').optional(),
      maxPauses: count('maxPauses').optional(),
    })
    .optional(),
  services: z.array(serviceSchema).optional(),
  adopt: z
    .object({
      pid: z.number().int().positive({ error: 'must be a positive pid' }),
      startTicks: z.number().int().nonnegative().optional(),
      outputFile: nonEmpty.optional(),
      stderrFile: nonEmpty.optional(),
      continueFrom: z
        .object({
          attempt: z.number().int().positive({ error: 'must be a positive attempt number' }),
          resumes: count('resumes').optional(),
          budgetSpent: count('budgetSpent').optional(),
          quotaPauses: count('quotaPauses').optional(),
        })
        .optional(),
    })
    .optional(),
  adoptPollMs: ms('adoptPollMs').min(10, { error: 'must be at least 10 ms' }).optional(),
  progressPollMs: ms('progressPollMs').min(10, { error: 'must be at least 10 ms' }).optional(),
  output: z.enum(['pipe', 'file'], { error: "must be 'pipe' or 'file'" }).optional(),
  logs: z
    .object({
      maxBytes: count('maxBytes').optional(),
      backups: count('backups').max(1000).optional(),
    })
    .optional(),
  subscribers: z.array(fn).optional(),
  lock: z
    .custom<RunLockOption>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        (typeof (value as LockHandle).release === 'function' ||
          typeof (value as { path?: unknown }).path === 'string'),
      { error: 'must be a LockHandle or an object with a path' },
    )
    .optional(),
  onFinish: fn.optional(),
  killGraceMs: ms('killGraceMs').optional(),
  signal: z.instanceof(AbortSignal, { error: 'must be an AbortSignal' }).optional(),
  onEvent: fn.optional(),
  onPulse: fn.optional(),
  stdout: writable.optional(),
  stderr: writable.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  now: fn.optional(),
  random: fn.optional(),
});

/**
 * Validates options before anything starts.
 *
 * @param options - what the caller passed.
 * @returns the same options, checked.
 * @throws {WatchdogError} `ERR_INVALID_OPTION` naming the first bad option (`option` holds its dotted path).
 */
export function validateOptions(options: SuperviseOptions): SuperviseOptions {
  const parsed = superviseOptionsSchema.safeParse(options);
  if (parsed.success) {
    if (options.progressIdleMs && !options.watch?.length && options.heartbeatFile === undefined) {
      throw new WatchdogError(
        'ERR_INVALID_OPTION',
        'progressIdleMs: needs a progress source (watch or heartbeatFile)',
        {
          option: 'progressIdleMs',
          hint: 'Give watch: [...] or heartbeatFile, or drop progressIdleMs.',
        },
      );
    }
    return options;
  }
  const issue = parsed.error.issues[0]!;
  const option = issue.path.map(String).join('.') || 'options';
  throw new WatchdogError('ERR_INVALID_OPTION', `${option}: ${issue.message}`, {
    option,
    cause: parsed.error,
  });
}
