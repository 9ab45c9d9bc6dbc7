import { inspect, type LockHandle, readLockFile } from '@runwarden/lock-core';
import {
  type JournalEvent,
  judgePulse,
  PULSE_STALL_INTERVALS,
  type WatchdogPulse,
} from '@runwarden/watchdog';
import type { LoopConfig } from './config.js';
import {
  configuredGuards,
  formatSetting,
  type GuardRow,
  guardRow,
  LOOP_GUARDS,
  type LoopGuard,
} from './guards.js';
import { formatDuration } from './output.js';
import type { LoopState } from './state.js';
import type { TargetLease } from './target-lease.js';

/** The journal event of a run that says each watchdog guard fired. */
const FIRED_BY: Partial<Record<JournalEvent['type'], LoopGuard>> = {
  'startup-idle': 'startup-timeout',
  'output-idle': 'idle-timeout',
  'progress-idle': 'progress-timeout',
  handoff: 'resume-budget',
  'lock-lost': 'run-lock',
};

/** The live parts of a loop's current run that a guard is read from. */
export interface LiveRun {
  runId: string;
  /** The run's `RUN.lock` handle. */
  lock: LockHandle;
  /** The run's claim on its target, when the loop has one. */
  lease?: TargetLease;
}

/**
 * What a loop's running machinery says of its guards: the last pulse of its
 * watchdog (`onPulse`), when the live attempt began, and when each guard
 * last fired. Fed by the run's events and pulses; read by {@link judgeLoopGuards}.
 */
export class LoopWitness {
  /** The watchdog's last pulse in the current run. */
  pulse: WatchdogPulse | undefined;
  /** When the live attempt began (Unix ms), until its ticker's first pulse. */
  attemptSinceMs: number | undefined;
  /** When each guard last fired (ISO 8601). */
  readonly lastFired: Partial<Record<LoopGuard, string>> = {};

  /**
   * Takes one event of the loop's run.
   *
   * @param event - the run's journal event.
   */
  onRunEvent(event: JournalEvent): void {
    if (event.type === 'spawned' || event.type === 'resumed' || event.type === 'adopted') {
      this.attemptSinceMs = Date.parse(event.ts);
      this.pulse = undefined;
    }
    const guard =
      event.type === 'timeout' && event.what === 'mission'
        ? 'mission-timeout'
        : FIRED_BY[event.type];
    if (guard) this.lastFired[guard] = event.ts;
  }

  /**
   * Takes one pulse of the loop's watchdog.
   *
   * @param pulse - the pulse.
   */
  onPulse(pulse: WatchdogPulse): void {
    this.pulse = pulse;
    this.attemptSinceMs = undefined;
  }

  /** Forgets the run's pulse (its watchdog has returned). */
  runEnded(): void {
    this.pulse = undefined;
    this.attemptSinceMs = undefined;
  }

  /**
   * Notes that a guard fired now (one the supervisor enforces: the restart policy, the target lease).
   *
   * @param guard - the guard.
   * @param at - when (ISO 8601). @default now
   */
  fired(guard: LoopGuard, at: string = new Date().toISOString()): void {
    this.lastFired[guard] = at;
  }
}

/** What {@link judgeLoopGuards} reads. */
export interface LoopGuardInput {
  /** The loop's config now (after a SIGHUP, the reloaded one). */
  config: LoopConfig;
  /** The config the live run was started with, when a reload changed it since. @default config */
  running?: LoopConfig;
  state: LoopState;
  lastReason: string | null;
  lastMessage: string | null;
  /** Restarts in the give-up window. */
  restarts: number;
  witness: LoopWitness;
  /** The current run's lock and lease; `undefined` between runs. */
  live: LiveRun | undefined;
  /** The loop's `RUN.lock` path. */
  lockPath: string;
  /** @default Date.now() */
  nowMs?: number;
}

/** Whether the watchdog of a live run is stalled, and why. */
function stalled(witness: LoopWitness, nowMs: number): string | undefined {
  if (witness.pulse) {
    const verdict = judgePulse(witness.pulse, nowMs);
    if (verdict.state === 'stalled')
      return `the watchdog has not ticked for ${formatDuration(verdict.silentMs)} (${PULSE_STALL_INTERVALS} × its ${formatSetting(witness.pulse.intervalMs)} interval): none of its checks can fire`;
    return undefined;
  }
  // An attempt began and its ticker never beat: no watchdog tick is slower than 1 s.
  if (
    witness.attemptSinceMs !== undefined &&
    nowMs - witness.attemptSinceMs > PULSE_STALL_INTERVALS * 1000
  )
    return `the watchdog has not ticked since the attempt began ${formatDuration(nowMs - witness.attemptSinceMs)} ago: none of its checks can fire`;
  return undefined;
}

/**
 * Whether a held lock is still ours, from the handle's signal and a real
 * read of the file (lock-core's own heartbeat looks only every third of its
 * stale window): its nonce must be the handle's.
 *
 * @param path - the lock file.
 * @param lock - the handle.
 * @returns `undefined` when it is ours, else what happened to it.
 */
export function lockLoss(
  path: string,
  lock: LockHandle,
): { effective: string; why: string } | undefined {
  if (lock.signal.aborted) return { effective: 'lost', why: (lock.signal.reason as Error).message };
  let current: ReturnType<typeof readLockFile>;
  try {
    current = readLockFile(path);
  } catch (error) {
    return { effective: 'unreadable', why: (error as Error).message };
  }
  if (!current) return { effective: 'lost', why: `${path} was removed` };
  if (current.content.kind !== 'record' || current.content.record.nonce !== lock.nonce) {
    const holder =
      current.content.kind === 'record' ? ` by pid ${current.content.record.holder.pid}` : '';
    return { effective: 'lost', why: `${path} was replaced${holder}` };
  }
  return undefined;
}

/** The run lock's effective value: `RUN.lock` when this run holds it, else what holds it. */
function lockEffect(input: LoopGuardInput): { effective: string; reason: string } {
  const { live, lockPath } = input;
  if (live) {
    const loss = lockLoss(lockPath, live.lock);
    if (loss)
      return {
        effective: loss.effective,
        reason: live.lock.signal.aborted
          ? loss.why
          : `${loss.why} while run ${live.runId} holds it`,
      };
    return {
      effective: 'RUN.lock',
      reason: `held by run ${live.runId} (fencing token ${live.lock.fencingToken})`,
    };
  }
  const found = inspect(lockPath, { orphansOf: () => [] });
  if (found.state === 'held' && found.holder)
    return {
      effective: `held by pid ${found.holder.holder.pid}`,
      reason: `${lockPath} is held by another process (pid ${found.holder.holder.pid}): the loop's next run cannot take it`,
    };
  if (found.state === 'corrupt') return { effective: 'corrupt', reason: found.explanation };
  return { effective: 'RUN.lock', reason: 'free: taken by the next run' };
}

/**
 * Every guard row of one loop, each read from the running machinery:
 *
 * - the watchdog's guards (mission, startup, idle, progress, resume budget)
 *   are in force only while its ticker beats: a live attempt whose watchdog
 *   has not pulsed for {@link PULSE_STALL_INTERVALS} of its intervals reads
 *   `not ticking`; an adopted process whose output is not observed has no
 *   startup or idle check; a mission deadline passed while the ticker still
 *   watches reads `overdue`;
 * - the run lock is the handle's signal and a real read of `RUN.lock` (its
 *   nonce must be this run's); between runs, no other live holder;
 * - the target lease is a real ownership check in the coordination store;
 * - a `fatal` loop has none of its guards in force.
 *
 * @param input - the loop, its state, its witness and its live run.
 * @returns the loop's rows, in {@link LOOP_GUARDS} order.
 */
export async function judgeLoopGuards(input: LoopGuardInput): Promise<GuardRow[]> {
  const { config, state, witness } = input;
  const nowMs = input.nowMs ?? Date.now();
  const configured = configuredGuards(config);
  const live = input.live !== undefined;
  // A run keeps the settings it started with: a reloaded config applies from the next run.
  const enforced = live && input.running ? configuredGuards(input.running) : configured;
  const stall = live ? stalled(witness, nowMs) : undefined;
  const pulse = witness.pulse;
  const watching = live && pulse?.phase === 'watching';
  const idleWhy = live
    ? pulse?.phase === 'watching'
      ? `the watchdog ticks every ${formatSetting(pulse.intervalMs)}`
      : 'armed: the watchdog is between attempts'
    : state === 'backoff'
      ? 'armed for the next run'
      : `nothing runs: the loop is ${state}`;
  const fatal = `the loop is fatal (${input.lastReason ?? '?'}: ${input.lastMessage ?? ''}); nothing runs it until \`runwarden-supervisor restart ${config.name}\``;
  const lease = input.live?.lease ? await input.live.lease.check() : undefined;
  const rows: GuardRow[] = [];
  for (const guard of LOOP_GUARDS) {
    let effective = enforced[guard];
    let reason = idleWhy;
    if (state === 'fatal') {
      effective = guard === 'restart-policy' ? 'gave up' : 'fatal';
      reason = fatal;
    } else if (guard === 'run-lock') {
      ({ effective, reason } = lockEffect(input));
    } else if (guard === 'target-lease') {
      if (lease && !lease.ok) {
        effective = 'lost';
        reason = lease.message;
      } else reason = lease ? lease.message : 'claimed by the next run';
    } else if (guard === 'restart-policy') {
      reason = `${input.restarts} restart(s) in the last ${formatSetting(config.restart.giveUp.withinMs)}`;
    } else if (stall) {
      effective = 'not ticking';
      reason = stall;
    } else if (watching && pulse) {
      if ((guard === 'idle-timeout' || guard === 'startup-timeout') && !pulse.watchesOutput) {
        effective = 'off';
        reason =
          "the process's output is not observed (adopted without its output file): no idle check can fire";
      } else if (guard === 'progress-timeout' && !pulse.watchesProgress) {
        effective = 'off';
        reason = 'no progress source is observed';
      } else if (
        guard === 'mission-timeout' &&
        pulse.missionDeadlineAtMs !== null &&
        pulse.atMs > pulse.missionDeadlineAtMs + PULSE_STALL_INTERVALS * pulse.intervalMs
      ) {
        effective = 'overdue';
        reason = `the mission deadline passed ${formatDuration(nowMs - pulse.missionDeadlineAtMs)} ago and the attempt still runs`;
      } else if (guard === 'mission-timeout' && pulse.missionDeadlineAtMs !== null) {
        reason = `${formatDuration(Math.max(0, pulse.missionDeadlineAtMs - nowMs))} left; ${idleWhy}`;
      }
    }
    if (effective === enforced[guard] && enforced[guard] !== configured[guard])
      reason = `the live run keeps ${enforced[guard]} until its next run (the config was reloaded)`;
    rows.push(
      guardRow({
        loop: config.name,
        guard,
        configured: configured[guard],
        effective,
        reason,
        lastFiredAt: witness.lastFired[guard] ?? null,
      }),
    );
  }
  return rows;
}
