import { colorsEnabled, createSay } from '@runwarden/cli-kit';
import { createColors } from 'picocolors';

export { colorsEnabled, formatDuration, printJson } from '@runwarden/cli-kit';

/** picocolors, on only where `colorsEnabled` says so. */
export const colors = createColors(colorsEnabled());

/** Writes one line for people to stderr, prefixed `runwarden-supervisor ▸`. */
export const say = createSay('runwarden-supervisor', colors);

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
