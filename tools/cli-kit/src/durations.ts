import prettyMilliseconds from 'pretty-ms';

/**
 * Formats a duration for people: `850ms`, `1.5s`, `3m 12s`, `2h 5m` (pretty-ms,
 * at most two units, seconds to one decimal).
 *
 * @param valueMs - the duration, in ms.
 * @returns the text.
 */
export function formatDuration(valueMs: number): string {
  return prettyMilliseconds(Math.max(0, valueMs), { secondsDecimalDigits: 1, unitCount: 2 });
}
