/**
 * What spawned and adopted attempts share: how an attempt ends, what is known
 * of it then, and the watch that ends it (one settle, one ticker running the
 * liveness checks, one listener on the run's stop). Modelled on execa's
 * `lib/terminate/`: one concern a file, the attempt kinds composing them.
 */
import type { ChildProcess } from 'node:child_process';
import type { ProcessIdentity } from '@runwarden/process-identity';
import { type AttemptTimes, judgeLiveness } from '../liveness.js';
import { pulseFrom, type WatchdogPulse } from '../pulse.js';
import type { RunContext } from './run-context.js';
import { subscribeTick } from './shared-ticker.js';

/** How an attempt ended. */
export type AttemptEnd =
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'spawn-error'; error: NodeJS.ErrnoException }
  | { kind: 'startup-idle' | 'output-idle' | 'progress-idle' | 'completed-alive' }
  | { kind: 'stop' };

/** An attempt that ended, with what is needed to end what is left of it. */
export interface Attempt {
  end: AttemptEnd;
  pid: number | undefined;
  identity: ProcessIdentity | null;
  /** Process groups that belong to the attempt. */
  groups: { pgid: number; leaderStartTicks: number }[];
  /** The run token its processes carry (`RUNWARDEN_RUN_ID`), when known. */
  token: string | undefined;
  child: ChildProcess | undefined;
  /** Settles when the child's pipes are closed. */
  closed: Promise<unknown>;
  /** How long it ran, in ms. */
  uptimeMs: number;
}

/**
 * Begins an attempt: a fresh attempt tail (quota check), marker and progress
 * event state, and its times on the run's monotonic clock.
 *
 * @param context - the run.
 * @param watchesOutput - whether the attempt's output is seen at all.
 * @returns its times (also the run's current ones).
 */
export function beginAttempt(context: RunContext, watchesOutput: boolean): AttemptTimes {
  context.tee.startAttempt();
  context.state.markerThisAttempt = false;
  context.progress.beginAttempt();
  const times: AttemptTimes = {
    startedAtMs: context.clock.monotonicNow(),
    watchesOutput,
    watchesProgress: context.progress.active,
  };
  context.state.times = times;
  return times;
}

/** What an attempt kind adds to {@link AttemptWatch}. */
export interface AttemptWatchHooks {
  /** The ticker's interval, in ms. */
  intervalMs: number;
  /** Runs first at each tick; an end it returns settles the attempt. @default none */
  beforeTick?: () => AttemptEnd | undefined;
  /** Runs once when the attempt settles, before its end is handed on (a last read of its output). */
  onSettle: () => void;
}

/**
 * Watches a running attempt until it ends: by itself (the attempt kind calls
 * {@link AttemptWatch.settle}), by a liveness verdict at a tick, or by the
 * run's stop. Settles once.
 */
export class AttemptWatch {
  private settled = false;
  private stopTicking: (() => void) | undefined;
  private readonly lastPoll: { at: number };
  private settleEnded!: (ended: { end: AttemptEnd; uptimeMs: number }) => void;
  private readonly onStop = () => this.settle({ kind: 'stop' });
  /** Settles with the end and the attempt's uptime, in ms. */
  readonly ended: Promise<{ end: AttemptEnd; uptimeMs: number }>;

  /**
   * @param context - the run.
   * @param times - the attempt's times.
   * @param hooks - the attempt kind's interval, extra checks and last read.
   */
  constructor(
    private readonly context: RunContext,
    private readonly times: AttemptTimes,
    private readonly hooks: AttemptWatchHooks,
  ) {
    this.lastPoll = { at: context.clock.monotonicNow() };
    this.ended = new Promise((settle) => (this.settleEnded = settle));
  }

  /**
   * Listens to the run's stop and starts ticking (call once the attempt is
   * under way), on the process's shared timer of that interval
   * ({@link subscribeTick}), so the attempts of many loops wake together.
   */
  start(): void {
    const { signal } = this.context.stop;
    signal.addEventListener('abort', this.onStop, { once: true });
    this.stopTicking = subscribeTick(this.hooks.intervalMs, () => {
      const end = this.hooks.beforeTick?.() ?? this.tick();
      if (end) this.settle(end);
    });
    if (signal.aborted) this.onStop();
  }

  /**
   * Ends the attempt (the first call wins).
   *
   * @param end - how it ended.
   */
  settle(end: AttemptEnd): void {
    if (this.settled) return;
    this.settled = true;
    this.stopTicking?.();
    this.pulse('between', 0);
    this.context.stop.signal.removeEventListener('abort', this.onStop);
    this.hooks.onSettle();
    this.settleEnded({
      end,
      uptimeMs: this.context.clock.monotonicNow() - this.times.startedAtMs,
    });
  }

  /** Tells `onPulse` that the watchdog ticks (`watching`) or that its ticker stopped (`between`). */
  private pulse(phase: WatchdogPulse['phase'], intervalMs: number): void {
    const { context, times } = this;
    if (!context.options.onPulse) return;
    try {
      context.options.onPulse(
        pulseFrom({
          phase,
          intervalMs,
          attempt: context.state.attempt,
          lastOutputAtPerfMs: times.lastOutputAtMs ?? times.firstOutputAtMs,
          missionDeadlinePerfMs: context.settings.limits.missionDeadlineMs,
          watchesOutput: times.watchesOutput,
          watchesProgress: times.watchesProgress,
          monotonicNowMs: context.clock.monotonicNow(),
          nowMs: context.clock.now(),
        }),
      );
    } catch {
      // A listener's bug must not end the supervision.
    }
  }

  /** The per-tick checks: a pulse, followed logs read, progress polled, the DONE file looked at, liveness judged. */
  private tick(): AttemptEnd | undefined {
    const { context, times } = this;
    const { settings } = context;
    this.pulse('watching', this.hooks.intervalMs);
    context.fileOutput?.poll();
    const at = context.clock.monotonicNow();
    if (context.progress.active && at - this.lastPoll.at >= settings.progressPollMs) {
      this.lastPoll.at = at;
      context.progress.poll(context.state.times);
    }
    if (
      context.doneFileWatch !== undefined &&
      times.completionSeenAtMs === undefined &&
      context.doneFileWatch.isFresh()
    ) {
      times.completionSeenAtMs = at;
    }
    const verdict = judgeLiveness(times, settings.limits, at);
    switch (verdict.state) {
      case 'alive':
        return undefined;
      case 'mission-timeout':
        context.stop.request('mission-timeout');
        return { kind: 'stop' };
      default:
        return { kind: verdict.state };
    }
  }
}
