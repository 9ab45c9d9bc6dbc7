import { relative } from 'node:path';
import { colorsEnabled, createSay } from '@runwarden/cli-kit';
import { createColors } from 'picocolors';

export { colorsEnabled, printJson } from '@runwarden/cli-kit';

/** picocolors, on only where `colorsEnabled` says so (a terminal, not CI, no NO_COLOR). */
export const colors = createColors(colorsEnabled());

/** Writes one human line to stderr, prefixed `runwarden ▸`. */
export const say = createSay('runwarden', colors);

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
