import type { createColors } from 'picocolors';

/** What picocolors' `createColors` returns. */
type Colors = ReturnType<typeof createColors>;

/**
 * Whether a command line colours its output: on a terminal only, never in CI
 * or with `NO_COLOR` (https://no-color.org); `FORCE_COLOR` (other than `0`)
 * wins, as in chalk and picocolors.
 *
 * @param stream - the stream written to. @default process.stderr
 * @returns true to colour.
 */
export function colorsEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  if (process.env.NO_COLOR || process.env.CI) return false;
  return Boolean(stream.isTTY) && process.env.TERM !== 'dumb';
}

/**
 * A writer of one line for people to stderr, prefixed `<name> ▸` (dimmed when
 * `colors` colours).
 *
 * @param name - the command's name, e.g. `runwarden`.
 * @param colors - picocolors, on or off (see {@link colorsEnabled}).
 * @returns `say(line)`, which appends the newline.
 */
export function createSay(name: string, colors: Colors): (line: string) => void {
  const prefix = colors.dim(`${name} ▸`);
  return (line) => {
    process.stderr.write(`${prefix} ${line}\n`);
  };
}
