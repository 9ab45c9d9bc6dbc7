import { relative } from 'node:path';
import { EXIT_CODES, type ReasonCode } from '@runwarden/watchdog';
import { createColors } from 'picocolors';

/** Colours only on a terminal, never in CI or with NO_COLOR; FORCE_COLOR wins. */
export function colorsEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  if (process.env.NO_COLOR || process.env.CI) return false;
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
}

/** picocolors, on only where {@link colorsEnabled} says so (a terminal, not CI, no NO_COLOR). */
export const colors = createColors(colorsEnabled());

/** Writes one human line to stderr, prefixed `runwarden ▸`. */
export function say(line: string): void {
  process.stderr.write(`${colors.dim('runwarden ▸')} ${line}\n`);
}

/** The one JSON object `--json` prints: `ok`, `reason`, `exitCode` and the data. */
export function printJson(reason: ReasonCode, data: Record<string, unknown>): void {
  process.stdout.write(
    `${JSON.stringify({ ok: reason === 'OK', reason, exitCode: EXIT_CODES[reason], ...data }, null, 2)}\n`,
  );
}

/**
 * A path as people read it in a message: relative to the working directory
 * when it is inside it, else absolute.
 *
 * @param path - an absolute path.
 * @returns the path to print.
 */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
