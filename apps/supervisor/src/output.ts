import { EXIT_CODES, type ReasonCode } from '@runwarden/watchdog';
import { createColors } from 'picocolors';

/** Colours only on a terminal, never in CI or with NO_COLOR; FORCE_COLOR wins. */
export function colorsEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  if (process.env.NO_COLOR || process.env.CI) return false;
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
}

/** picocolors, on only where {@link colorsEnabled} says so. */
export const colors = createColors(colorsEnabled());

/** Writes one line for people to stderr, prefixed `runwarden-supervisor ▸`. */
export function say(line: string): void {
  process.stderr.write(`${colors.dim('runwarden-supervisor ▸')} ${line}\n`);
}

/** The one JSON object `--json` prints: `ok`, `reason`, `exitCode` and the data. */
export function printJson(reason: ReasonCode, data: Record<string, unknown>): void {
  process.stdout.write(
    `${JSON.stringify({ ok: reason === 'OK', reason, exitCode: EXIT_CODES[reason], ...data }, null, 2)}\n`,
  );
}

/** Formats ms for people: `850ms`, `2.5s`, `3m 12s`, `2h 5m`. */
export function formatDuration(valueMs: number): string {
  if (valueMs < 1000) return `${Math.round(valueMs)}ms`;
  const seconds = Math.round(valueMs / 1000);
  if (seconds < 60) return `${(valueMs / 1000).toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}

/**
 * A plain table: a header row, then one row per item, columns padded.
 *
 * @param header - column names.
 * @param rows - the cells.
 * @returns the lines.
 */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((name, index) =>
    Math.max(name.length, ...rows.map((row) => (row[index] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => cell.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}
