/**
 * The run's two clocks and its waits: the wall clock (journal timestamps,
 * quota reset times) and the monotonic clock (every window, deadline and
 * duration), both injectable; timers re-armed against the monotonic clock, so
 * a wait longer than `setTimeout`'s 24.8-day limit still ends on time.
 */

/** The clocks a run reads, in ms. */
export interface RunClock {
  /** Wall clock, Unix ms. */
  now: () => number;
  /** Monotonic clock, ms from any origin. */
  monotonicNow: () => number;
}

/** The longest delay `setTimeout` takes (2^31 − 1 ms); longer waits are re-armed. */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Waits for `promise`, at most `ms`; the timer never outlives the wait (it
 * must not keep the process alive).
 *
 * @param promise - what to wait for.
 * @param ms - the longest wait, in ms.
 */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((settle) => (timer = setTimeout(settle, ms)))]);
  clearTimeout(timer);
}

/**
 * Calls `onDue` once the monotonic clock reaches `deadlineMs` (at once, before
 * returning, when it is already past).
 *
 * @param deadlineMs - when, on `monotonicNow`'s clock.
 * @param onDue - what to do then.
 * @param monotonicNow - the clock.
 * @returns a function that cancels the call.
 */
export function callAt(
  deadlineMs: number,
  onDue: () => void,
  monotonicNow: () => number,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const remaining = deadlineMs - monotonicNow();
    if (remaining <= 0) return onDue();
    timer = setTimeout(arm, Math.min(remaining, MAX_TIMER_MS));
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * Waits out a backoff or a pause, unless `signal` aborts first.
 *
 * @param delayMs - how long, in ms.
 * @param signal - ends the wait early.
 * @param monotonicNow - the clock.
 * @returns `ready` after the delay, `stopped` when `signal` aborted (or had already).
 */
export function waitOut(
  delayMs: number,
  signal: AbortSignal,
  monotonicNow: () => number,
): Promise<'ready' | 'stopped'> {
  return new Promise((settle) => {
    if (signal.aborted) return settle('stopped');
    let cancel: () => void = () => undefined;
    const onStop = () => {
      cancel();
      settle('stopped');
    };
    signal.addEventListener('abort', onStop, { once: true });
    cancel = callAt(
      monotonicNow() + delayMs,
      () => {
        signal.removeEventListener('abort', onStop);
        settle('ready');
      },
      monotonicNow,
    );
  });
}
