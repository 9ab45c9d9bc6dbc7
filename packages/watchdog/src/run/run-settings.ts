/**
 * The options of a run with every default filled in from
 * {@link WATCHDOG_DEFAULTS}: paths resolved, windows and policy fixed for the
 * whole run.
 */
import { resolve } from 'node:path';
import { RUN_ID_ENV } from '@runwarden/process-identity';
import { WATCHDOG_DEFAULTS } from '../defaults.js';
import type { LivenessLimits } from '../liveness.js';
import type { SuperviseOptions } from '../options.js';
import { type ResumePolicy, resolveResumeOn } from '../resume-policy.js';
import { newRunId } from './run-id.js';

/** A run's settings, resolved once. */
export interface RunSettings {
  /** The run id. */
  runId: string;
  /** Absolute. */
  runDir: string;
  /** Absolute. */
  cwd: string;
  /** `process.env`, `env` over it, and `RUNWARDEN_RUN_ID`. */
  baseEnv: NodeJS.ProcessEnv;
  /** `0` for none. */
  missionTimeoutMs: number;
  /** The liveness windows; the mission deadline on the monotonic clock. */
  limits: LivenessLimits;
  /** What follows a death. */
  policy: ResumePolicy;
  /** Between the graceful and the forced signal, in ms. */
  killGraceMs: number;
  /** The DONE file, absolute. */
  doneFile: string | undefined;
  /** A completion predicate is set (`doneFile`, `doneMarker`, `checkCommand`, `isComplete`). */
  hasPredicate: boolean;
  /** The quota message pattern; `undefined` when quota pauses are off. */
  quotaPattern: RegExp | undefined;
  /** How often an adopted process's identity is checked, in ms. */
  adoptPollMs: number;
  /** How often progress sources are stat'ed, in ms. */
  progressPollMs: number;
  /** How often a running attempt is looked at, in ms. */
  tickMs: number;
}

/**
 * Resolves a run's settings.
 *
 * @param options - the validated options.
 * @param startedAtMs - the run's start on the monotonic clock (the mission deadline counts from it).
 * @returns the settings.
 */
export function resolveRunSettings(options: SuperviseOptions, startedAtMs: number): RunSettings {
  const runId = options.runId ?? newRunId((options.now ?? Date.now)());
  const cwd = resolve(options.cwd ?? process.cwd());
  const missionTimeoutMs = options.missionTimeoutMs ?? WATCHDOG_DEFAULTS.missionTimeoutMs;
  const idleTimeoutMs = options.idleTimeoutMs ?? WATCHDOG_DEFAULTS.idleTimeoutMs;
  const limits: LivenessLimits = {
    idleTimeoutMs,
    startupIdleMs: options.startupIdleMs ?? options.startupTimeoutMs ?? idleTimeoutMs,
    progressIdleMs: options.progressIdleMs ?? WATCHDOG_DEFAULTS.progressIdleMs,
    completionGraceMs: options.completionGraceMs ?? WATCHDOG_DEFAULTS.completionGraceMs,
    missionDeadlineMs:
      missionTimeoutMs > 0 ? startedAtMs + missionTimeoutMs : Number.POSITIVE_INFINITY,
  };
  const hasPredicate =
    options.doneFile !== undefined ||
    options.doneMarker !== undefined ||
    options.checkCommand !== undefined ||
    options.isComplete !== undefined;
  const watchesProgress = (options.watch?.length ?? 0) > 0 || options.heartbeatFile !== undefined;
  const quota = options.quota;
  const pattern = quota?.pattern ?? WATCHDOG_DEFAULTS.quota.pattern;
  return {
    runId,
    runDir: resolve(options.runDir),
    cwd,
    baseEnv: { ...process.env, ...options.env, [RUN_ID_ENV]: runId },
    missionTimeoutMs,
    limits,
    policy: {
      maxResumes: options.maxResumes ?? WATCHDOG_DEFAULTS.maxResumes,
      backoff: options.backoff ?? {},
      backoffResetMs: options.backoffResetMs ?? WATCHDOG_DEFAULTS.backoffResetMs,
      hasProgressSource: watchesProgress || options.checkCommand !== undefined,
      resumeOn: resolveResumeOn(options.resumeOn, hasPredicate),
      quota: quota
        ? {
            fallbackPauseMs: quota.fallbackPauseMs ?? WATCHDOG_DEFAULTS.quota.fallbackPauseMs,
            maxPauseMs: quota.maxPauseMs ?? WATCHDOG_DEFAULTS.quota.maxPauseMs,
            marginMs: quota.marginMs ?? WATCHDOG_DEFAULTS.quota.marginMs,
            maxPauses: quota.maxPauses ?? WATCHDOG_DEFAULTS.quota.maxPauses,
          }
        : undefined,
    },
    killGraceMs: options.killGraceMs ?? WATCHDOG_DEFAULTS.killGraceMs,
    doneFile: options.doneFile !== undefined ? resolve(cwd, options.doneFile) : undefined,
    hasPredicate,
    quotaPattern: quota
      ? typeof pattern === 'string'
        ? new RegExp(pattern, 'i')
        : pattern
      : undefined,
    adoptPollMs: options.adoptPollMs ?? WATCHDOG_DEFAULTS.adoptPollMs,
    progressPollMs: progressPollMsOf(options.progressPollMs, limits.progressIdleMs),
    tickMs: tickMsOf(limits),
  };
}

/**
 * How often a running attempt is looked at: a quarter of its shortest window
 * (at most 1 s), between 10 and 250 ms.
 *
 * @param limits - the windows.
 * @returns the tick, in ms.
 */
export function tickMsOf(limits: LivenessLimits): number {
  const windows = [
    limits.startupIdleMs,
    limits.idleTimeoutMs,
    limits.progressIdleMs,
    limits.completionGraceMs,
  ].filter((value) => value > 0);
  const quarter = Math.floor(Math.min(1000, ...windows) / 4);
  return Math.max(10, Math.min(250, quarter));
}

/**
 * How often progress sources are stat'ed: as configured, else
 * {@link WATCHDOG_DEFAULTS}' `progressPollMs`, or a quarter of
 * `progressIdleMs` when that is smaller (at least 10 ms).
 *
 * @param configuredMs - `progressPollMs` as given.
 * @param progressIdleMs - the progress window, `0` when off.
 * @returns the poll interval, in ms.
 */
export function progressPollMsOf(configuredMs: number | undefined, progressIdleMs: number): number {
  if (configuredMs !== undefined) return configuredMs;
  const fallback = WATCHDOG_DEFAULTS.progressPollMs;
  return Math.max(
    10,
    Math.min(fallback, progressIdleMs > 0 ? Math.floor(progressIdleMs / 4) : fallback),
  );
}
