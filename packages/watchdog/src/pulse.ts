/**
 * The watchdog's pulse: a heartbeat its ticker really emits, so a reader (the
 * supervisor's `GET /guards`) judges whether a run's guards are in force from
 * the running machinery, never from the config alone. systemd's `WatchdogSec=`
 * asks the same of a service (systemd.service(5)): no ping within the window
 * and it is not healthy, whatever its unit file says.
 */

/** How many of its intervals a watching ticker may miss before it counts as stalled. */
export const PULSE_STALL_INTERVALS = 3;

/** What one tick of a run's watchdog reports ({@link SuperviseOptions.onPulse}). */
export interface WatchdogPulse {
  /** `watching`: an attempt is live and this ticker judges it; `between`: the attempt ended (the tree is being ended, the completion judged, a backoff waited out), no ticker runs. */
  phase: 'watching' | 'between';
  /** Wall-clock time of the tick, Unix ms. */
  atMs: number;
  /** The ticker's interval in ms (0 in phase `between`). */
  intervalMs: number;
  /** The attempt (1-based). */
  attempt: number;
  /** When the attempt last wrote output, Unix ms; `null` before its first byte. */
  lastOutputAtMs: number | null;
  /** When the mission timeout ends the run, Unix ms; `null` without one. */
  missionDeadlineAtMs: number | null;
  /** Whether output is observed at all (false for an adopted process without an output file: no idle check can fire). */
  watchesOutput: boolean;
  /** Whether a progress source (watch, heartbeat file) is observed. */
  watchesProgress: boolean;
}

/** What {@link judgePulse} says of a run's watchdog. */
export type PulseVerdict =
  | { state: 'ticking'; silentMs: number }
  | { state: 'between'; silentMs: number }
  | { state: 'stalled'; silentMs: number; limitMs: number };

/**
 * Whether a watchdog still ticks: in phase `watching`, a pulse older than
 * {@link PULSE_STALL_INTERVALS} intervals means its ticker is stopped or
 * wedged (the process was SIGSTOPped, the event loop stalled, a bug cleared
 * the timer) and none of its liveness checks can fire.
 *
 * @param pulse - the last pulse.
 * @param nowMs - the current time, Unix ms. @default Date.now()
 * @returns `ticking`, `between` (no ticker expected) or `stalled`, with the silence in ms.
 */
export function judgePulse(pulse: WatchdogPulse, nowMs: number = Date.now()): PulseVerdict {
  const silentMs = Math.max(0, nowMs - pulse.atMs);
  if (pulse.phase === 'between') return { state: 'between', silentMs };
  const limitMs = PULSE_STALL_INTERVALS * pulse.intervalMs;
  return silentMs > limitMs
    ? { state: 'stalled', silentMs, limitMs }
    : { state: 'ticking', silentMs };
}

/**
 * Builds a pulse from the watchdog's monotonic clock (`performance.now()`).
 *
 * @param input - the phase, the interval, the attempt and its monotonic times.
 * @returns the pulse, in wall-clock ms.
 */
export function pulseFrom(input: {
  phase: WatchdogPulse['phase'];
  intervalMs: number;
  attempt: number;
  lastOutputAtPerfMs: number | undefined;
  missionDeadlinePerfMs: number;
  watchesOutput: boolean;
  watchesProgress: boolean;
}): WatchdogPulse {
  const nowPerf = performance.now();
  const atMs = Date.now();
  const wall = (perf: number) => Math.round(atMs - (nowPerf - perf));
  return {
    phase: input.phase,
    atMs,
    intervalMs: input.intervalMs,
    attempt: input.attempt,
    lastOutputAtMs: input.lastOutputAtPerfMs === undefined ? null : wall(input.lastOutputAtPerfMs),
    missionDeadlineAtMs: Number.isFinite(input.missionDeadlinePerfMs)
      ? wall(input.missionDeadlinePerfMs)
      : null,
    watchesOutput: input.watchesOutput,
    watchesProgress: input.watchesProgress,
  };
}
