import { WATCHDOG_DEFAULTS } from './defaults.js';

/** Resume backoff settings; the defaults are `WATCHDOG_DEFAULTS.backoff`. */
export interface BackoffOptions {
  /**
   * First delay, in ms.
   * @default WATCHDOG_DEFAULTS.backoff.initialMs (1000)
   */
  initialMs?: number;
  /**
   * Upper bound of a delay, in ms.
   * @default WATCHDOG_DEFAULTS.backoff.maxMs (300000)
   */
  maxMs?: number;
  /**
   * Growth per consecutive failed resume.
   * @default WATCHDOG_DEFAULTS.backoff.factor (2)
   */
  factor?: number;
  /**
   * Random spread as a fraction of the delay (full jitter would be 1).
   * @default WATCHDOG_DEFAULTS.backoff.jitter (0.2)
   */
  jitter?: number;
}

/**
 * Delay before resume number `n` (0-based): capped exponential backoff with
 * jitter, `min(maxMs, initialMs * factor^n) * (1 ± jitter)`, as AWS's
 * "Exponential Backoff and Jitter" and systemd's `RestartSteps=` grow it.
 *
 * @param n - consecutive resumes so far without a reset.
 * @param options - initial delay, cap, factor and jitter. @default WATCHDOG_DEFAULTS.backoff
 * @param random - a number in [0, 1), injected for tests. @default Math.random
 * @returns the delay in ms, never above `maxMs`.
 */
export function backoffDelayMs(
  n: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const defaults = WATCHDOG_DEFAULTS.backoff;
  const initialMs = options.initialMs ?? defaults.initialMs;
  const maxMs = options.maxMs ?? defaults.maxMs;
  const factor = options.factor ?? defaults.factor;
  const jitter = options.jitter ?? defaults.jitter;
  const base = Math.min(maxMs, initialMs * factor ** Math.max(0, n));
  const spread = base * jitter * (2 * random() - 1);
  return Math.max(0, Math.min(maxMs, Math.round(base + spread)));
}
