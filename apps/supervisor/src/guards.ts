import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { WATCHDOG_DEFAULTS } from '@runwarden/watchdog';
import type { DoneCondition, LoopConfig, SupervisorConfig } from './config.js';

/**
 * The guards of each loop, in the order `GET /guards`, the page and `status`
 * list them (instar's guard-posture inventory, `../shared/seeds/004_…`).
 */
export const LOOP_GUARDS = [
  'mission-timeout',
  'startup-timeout',
  'idle-timeout',
  'progress-timeout',
  'resume-budget',
  'run-lock',
  'target-lease',
  'restart-policy',
] as const;

/** One guard of a loop. */
export type LoopGuard = (typeof LOOP_GUARDS)[number];

/** Every guard name: a loop's, and the supervisor's global `done-watcher`. */
export type GuardName = LoopGuard | 'done-watcher';

/**
 * `on`: configured and in force; `off-by-config`: the config turns it off;
 * `off-runtime-divergent`: configured, but the running machinery does not
 * enforce it (never shown green).
 */
export type GuardState = 'on' | 'off-by-config' | 'off-runtime-divergent';

/** One row of the guard posture. */
export interface GuardRow {
  /** The loop; `null` for the supervisor's own guard (`done-watcher`). */
  loop: string | null;
  guard: GuardName;
  /** What the config asks for, e.g. `15m`, `20 resumes`, `off`. */
  configured: string;
  /** What the running machinery enforces now; equal to `configured` when in force. */
  effective: string;
  state: GuardState;
  /** One sentence for people: why the row reads as it does. */
  reason: string;
  /** When the guard last acted (ISO 8601): a timeout fired, a restart was scheduled; `null` for never (since this supervisor started). */
  lastFiredAt: string | null;
}

/** The value of a disabled guard. */
export const OFF = 'off';

/**
 * A duration as a setting, exact: `9h`, `90m`, `150s`, `1500ms`.
 *
 * @param valueMs - the duration in ms.
 * @returns the text.
 */
export function formatSetting(valueMs: number): string {
  const units: [string, number][] = [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [unit, size] of units)
    if (valueMs >= size && valueMs % size === 0) return `${valueMs / size}${unit}`;
  return `${valueMs}ms`;
}

const duration = (valueMs: number | undefined) =>
  valueMs !== undefined && valueMs > 0 ? formatSetting(valueMs) : OFF;

/**
 * What a loop's config asks of each of its guards, with the watchdog's own
 * defaults and precedence (`startupTimeout` falls back to `idleTimeout`).
 *
 * @param loop - the loop's resolved config.
 * @returns each guard's configured value.
 */
export function configuredGuards(loop: LoopConfig): Record<LoopGuard, string> {
  const run = loop.run;
  const idleTimeoutMs = run.idleTimeoutMs ?? WATCHDOG_DEFAULTS.idleTimeoutMs;
  const { restart } = loop;
  return {
    'mission-timeout': duration(run.missionTimeoutMs ?? WATCHDOG_DEFAULTS.missionTimeoutMs),
    'startup-timeout': duration(run.startupIdleMs ?? run.startupTimeoutMs ?? idleTimeoutMs),
    'idle-timeout': duration(idleTimeoutMs),
    'progress-timeout': duration(run.progressIdleMs ?? WATCHDOG_DEFAULTS.progressIdleMs),
    'resume-budget': `${run.maxResumes ?? WATCHDOG_DEFAULTS.maxResumes} resumes`,
    'run-lock': 'RUN.lock',
    'target-lease': loop.target ?? OFF,
    'restart-policy':
      restart.policy === 'never'
        ? OFF
        : `${restart.policy}, give up after ${restart.giveUp.restarts} in ${formatSetting(restart.giveUp.withinMs)}`,
  };
}

/** The config key that turns each guard off, for the `off-by-config` reason. */
const CONFIG_KEY: Record<LoopGuard, string> = {
  'mission-timeout': 'run.missionTimeout',
  'startup-timeout': 'run.startupTimeout (or run.idleTimeout)',
  'idle-timeout': 'run.idleTimeout',
  'progress-timeout': 'run.progressTimeout',
  'resume-budget': 'run.maxResumes',
  'run-lock': '',
  'target-lease': 'target',
  'restart-policy': 'restart.policy',
};

/**
 * A row from its configured and effective values: `off-by-config` when the
 * config turns the guard off, `on` when the two are equal, and
 * `off-runtime-divergent` whenever they differ.
 *
 * @param input - the row's fields; `reason` is kept for `on` and divergent rows.
 * @returns the row.
 */
export function guardRow(input: Omit<GuardRow, 'state'>): GuardRow {
  let state: GuardState = 'on';
  let reason = input.reason;
  if (input.configured === OFF) {
    state = 'off-by-config';
    if (input.loop !== null && input.guard !== 'done-watcher')
      reason = `off in the config (${CONFIG_KEY[input.guard]})`;
  } else if (input.configured !== input.effective) state = 'off-runtime-divergent';
  return {
    loop: input.loop,
    guard: input.guard,
    configured: input.configured,
    effective: input.configured === OFF ? OFF : input.effective,
    state,
    reason,
    lastFiredAt: input.lastFiredAt,
  };
}

/**
 * What the global done condition asks for, as a setting.
 *
 * @param done - the condition; none when the config has no `done`.
 * @returns e.g. `/repo/plan.md holds "## DONE"`, or `off`.
 */
export function configuredDone(done: DoneCondition | undefined): string {
  if (!done) return OFF;
  return done.kind === 'file'
    ? `${done.file} holds "${done.line}"`
    : `\`${done.command}\` exits 0, every ${formatSetting(done.everyMs)}`;
}

/** What the running done watcher says of itself (see `DoneWatcher`). */
export interface DoneWatcherFacts {
  /** When it last began a check (Unix ms); `undefined` before the first. */
  lastCheckedAtMs: number | undefined;
  /** Whether a check runs now (a done command in flight). */
  checking: boolean;
  /** Whether the condition held (the supervisor is stopping every loop). */
  fired: boolean;
}

/**
 * The `done-watcher` row: the condition is looked at for real, never read
 * from the config alone. Divergent when the done file's directory is gone,
 * is not a directory or cannot be read (the file can never be seen there),
 * the file is there but unreadable, the command's directory is gone, or the
 * watcher has not checked for 3 of its intervals (a done command that hangs,
 * a stopped timer).
 *
 * @param input - the condition, the watcher's facts, when it fired, and now.
 * @returns the row.
 */
export function judgeDoneWatcher(input: {
  done: DoneCondition | undefined;
  watcher: DoneWatcherFacts | undefined;
  lastFiredAt: string | null;
  nowMs?: number;
}): GuardRow {
  const { done, watcher } = input;
  const configured = configuredDone(done);
  const row = (effective: string, reason: string) =>
    guardRow({
      loop: null,
      guard: 'done-watcher',
      configured,
      effective,
      reason,
      lastFiredAt: input.lastFiredAt,
    });
  if (!done) return row(OFF, 'no done condition in the config: loops run until stopped');
  if (!watcher) return row('not watching', 'the done watcher is not running');
  if (watcher.fired) return row(configured, 'the done condition held: every loop is stopped');
  const directory = done.kind === 'file' ? dirname(done.file) : done.cwd;
  const problem = directoryProblem(directory);
  if (problem)
    return row(
      problem.effective,
      done.kind === 'file'
        ? `${directory} ${problem.why}: ${done.file} can never be seen`
        : `${directory} ${problem.why}: the done command cannot run there`,
    );
  if (done.kind === 'file') {
    try {
      accessSync(done.file, constants.R_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        return row(
          'unreadable',
          `${done.file} cannot be read (${(error as NodeJS.ErrnoException).code})`,
        );
    }
  }
  const nowMs = input.nowMs ?? Date.now();
  const limitMs = 3 * done.everyMs;
  const silentMs = watcher.lastCheckedAtMs === undefined ? 0 : nowMs - watcher.lastCheckedAtMs;
  if (silentMs > limitMs)
    return row(
      'not checking',
      `the done condition was last checked ${Math.round(silentMs / 1000)} s ago (every ${formatSetting(done.everyMs)}${watcher.checking ? '; a check still runs' : ''})`,
    );
  return row(
    configured,
    `checked every ${formatSetting(done.everyMs)}, last ${Math.round(silentMs / 100) / 10} s ago`,
  );
}

/** Why a directory cannot be watched, or `undefined` when it can. */
function directoryProblem(directory: string): { effective: string; why: string } | undefined {
  try {
    if (!statSync(directory).isDirectory())
      return { effective: 'directory gone', why: 'is not a directory' };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR'
      ? { effective: 'directory gone', why: 'does not exist' }
      : { effective: 'unreadable', why: `cannot be read (${code})` };
  }
  try {
    accessSync(directory, constants.R_OK | constants.X_OK);
  } catch (error) {
    return {
      effective: 'unreadable',
      why: `cannot be read (${(error as NodeJS.ErrnoException).code})`,
    };
  }
  return undefined;
}

/**
 * Every row as `off-runtime-divergent`, for a reader outside the supervisor
 * (`status`, the page) when it does not answer: a stopped (SIGSTOP) or
 * stalled supervisor runs none of its watchdogs, and a configured guard it
 * cannot vouch for is never shown green.
 *
 * @param config - the config.
 * @param effective - what is in force instead, e.g. `supervisor stopped`.
 * @param reason - why, for people.
 * @returns the rows, `off-by-config` ones kept as such.
 */
export function unanswered(
  config: Pick<SupervisorConfig, 'loops' | 'done'>,
  effective: string,
  reason: string,
): GuardRow[] {
  const rows: GuardRow[] = [];
  for (const loop of config.loops) {
    const configured = configuredGuards(loop);
    for (const guard of LOOP_GUARDS)
      rows.push(
        guardRow({
          loop: loop.name,
          guard,
          configured: configured[guard],
          effective,
          reason,
          lastFiredAt: null,
        }),
      );
  }
  const done = configuredDone(config.done);
  rows.push(
    guardRow({
      loop: null,
      guard: 'done-watcher',
      configured: done,
      effective,
      reason: done === OFF ? 'no done condition in the config: loops run until stopped' : reason,
      lastFiredAt: null,
    }),
  );
  return rows;
}
