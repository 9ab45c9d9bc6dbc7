/**
 * What the guard-posture tests share: reading `/guards`, and normalizing its
 * rows for golden files (temp dirs, run ids, pids and clocks vary by run).
 */
import type { GuardRow } from '../src/guards.js';

/** Reads the guard rows from an API URL (loopback: a GET needs no token). */
export async function fetchGuards(url: string): Promise<GuardRow[]> {
  const response = await fetch(`${url}/guards`, { signal: AbortSignal.timeout(5000) });
  if (response.status !== 200) throw new Error(`GET /guards: HTTP ${response.status}`);
  return ((await response.json()) as { guards: GuardRow[] }).guards;
}

/** Rows with what varies by run replaced: `<dir>`, `<runId>`, `<pid>`, `<time>`, `<span>`. */
export function normalize(rows: GuardRow[], dir: string): GuardRow[] {
  // A duration as formatDuration prints it: `850ms`, `1.5s`, `59m 59.5s`, `2h 5m`, `1h`.
  const span = String.raw`(?:\d+[hm] )*(?:[\d.]+m?s|\d+[hm])`;
  const clean = (text: string) =>
    text
      .split(dir)
      .join('<dir>')
      .replace(/\d{8}-\d{6}-\d{3}-[0-9a-f]{6}/g, '<runId>')
      .replace(/pid \d+/g, 'pid <pid>')
      .replace(new RegExp(`${span} left`, 'g'), '<span> left')
      .replace(/last [\d.]+ s ago/g, 'last <span> ago')
      .replace(new RegExp(`for ${span}`, 'g'), 'for <span>')
      .replace(new RegExp(`began ${span} ago`, 'g'), 'began <span> ago');
  return rows.map((row) => ({
    ...row,
    configured: clean(row.configured),
    effective: clean(row.effective),
    reason: clean(row.reason),
    lastFiredAt: row.lastFiredAt === null ? null : '<time>',
  }));
}

/** The golden text of some rows: one JSON row a line, so a diff shows the row that changed. */
export const golden = (rows: GuardRow[]) =>
  `[\n${rows.map((row) => `  ${JSON.stringify(row)}`).join(',\n')}\n]\n`;

/** Polls an async `condition` every 100 ms until it returns a truthy value; rejects after `timeoutMs`. */
export async function eventually<T>(
  condition: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last ? ` (last: ${(last as Error).message})` : ''}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
