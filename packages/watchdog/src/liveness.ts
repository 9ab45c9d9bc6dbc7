/**
 * Liveness of one attempt, decided from plain numbers: a pure function with an
 * injected clock, so a 30-minute idle window is tested without waiting.
 */

/** The windows an attempt is judged by, in ms on one monotonic clock. `0` turns a window off. */
export interface LivenessLimits {
  /** No first byte of output this long after the attempt began → `startup-idle`. */
  startupIdleMs: number;
  /** No output this long after the last byte → `output-idle`. */
  idleTimeoutMs: number;
  /** No progress source moved this long (since the attempt began or the last move) → `progress-idle`. */
  progressIdleMs: number;
  /** After the completion marker or DONE file appeared, this long for the process to exit by itself → `completed-alive`. */
  completionGraceMs: number;
  /** The mission deadline on the same clock; `Infinity` for none → `mission-timeout`. */
  missionDeadlineMs: number;
}

/** What is known of one attempt, on the same clock as `nowMs`. */
export interface AttemptTimes {
  /** When the attempt began (spawned or adopted). */
  startedAtMs: number;
  /** When its first byte of output arrived; `undefined` while it has printed nothing. */
  firstOutputAtMs?: number;
  /** When its last byte of output arrived. */
  lastOutputAtMs?: number;
  /** When a progress source last moved during this attempt; `undefined` for not yet. */
  lastProgressAtMs?: number;
  /** When completion (DONE file or marker) was first seen while it ran. */
  completionSeenAtMs?: number;
  /** Whether output is observed at all (false for an adopted process without an output file). */
  watchesOutput: boolean;
  /** Whether any progress source is configured. */
  watchesProgress: boolean;
}

/** The verdict of {@link judgeLiveness}; `alive` says when to look again at the latest. */
export type LivenessVerdict =
  | { state: 'alive'; nextCheckInMs: number }
  | { state: 'completed-alive' }
  | { state: 'mission-timeout' }
  | { state: 'startup-idle'; silentMs: number }
  | { state: 'output-idle'; silentMs: number }
  | { state: 'progress-idle'; stalledMs: number };

/**
 * Judges a running attempt. The rules, first match wins:
 *
 * 1. completion seen and `completionGraceMs` passed → `completed-alive` (the
 *    work is done; an agent that prints its result and never exits is ended);
 * 2. past the mission deadline → `mission-timeout`;
 * 3. no output yet and `startupIdleMs` passed since the start → `startup-idle`;
 * 4. output seen and `idleTimeoutMs` passed since the last byte → `output-idle`;
 * 5. progress watched and `progressIdleMs` passed since the last move (or the
 *    start) → `progress-idle`;
 * 6. otherwise `alive`, with the time until the nearest of these deadlines.
 *
 * Output is the watchdog ping of systemd's `WatchdogSec=` (systemd.service(5)).
 *
 * @param times - what is known of the attempt.
 * @param limits - the windows.
 * @param nowMs - the current time on the same clock.
 * @returns the verdict.
 */
export function judgeLiveness(
  times: AttemptTimes,
  limits: LivenessLimits,
  nowMs: number,
): LivenessVerdict {
  const deadlines: number[] = [];
  if (times.completionSeenAtMs !== undefined) {
    const due = times.completionSeenAtMs + limits.completionGraceMs;
    if (nowMs >= due) return { state: 'completed-alive' };
    deadlines.push(due);
  }
  if (nowMs >= limits.missionDeadlineMs) return { state: 'mission-timeout' };
  deadlines.push(limits.missionDeadlineMs);
  if (times.watchesOutput) {
    if (times.firstOutputAtMs === undefined) {
      if (limits.startupIdleMs > 0) {
        const due = times.startedAtMs + limits.startupIdleMs;
        if (nowMs >= due) return { state: 'startup-idle', silentMs: nowMs - times.startedAtMs };
        deadlines.push(due);
      }
    } else if (limits.idleTimeoutMs > 0) {
      const last = times.lastOutputAtMs ?? times.firstOutputAtMs;
      const due = last + limits.idleTimeoutMs;
      if (nowMs >= due) return { state: 'output-idle', silentMs: nowMs - last };
      deadlines.push(due);
    }
  }
  if (times.watchesProgress && limits.progressIdleMs > 0) {
    const last = times.lastProgressAtMs ?? times.startedAtMs;
    const due = last + limits.progressIdleMs;
    if (nowMs >= due) return { state: 'progress-idle', stalledMs: nowMs - last };
    deadlines.push(due);
  }
  return { state: 'alive', nextCheckInMs: Math.max(0, Math.min(...deadlines) - nowMs) };
}
