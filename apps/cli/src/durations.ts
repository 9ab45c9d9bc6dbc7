import ms from 'ms';

/**
 * Formats a duration for people: `850ms`, `2.5s`, `15m` (the `ms` package's
 * short form).
 *
 * @param valueMs - the duration, in ms.
 * @returns the text.
 */
export function formatDuration(valueMs: number): string {
  if (valueMs < 1000) return `${Math.round(valueMs)}ms`;
  return ms(Math.round(valueMs), { long: false });
}
