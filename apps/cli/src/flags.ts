import { formatDuration } from '@runwarden/cli-kit';
import bytes from 'bytes';
import { InvalidArgumentError, Option } from 'commander';
import ms from 'ms';

/** A commander `argParser`: the raw value (and the previous one, for repeatable flags) in, the parsed value out. */
export type FlagParser<T> = (value: string, previous?: T) => T;

/** Fails a flag with one line naming it: `--flag: message` (commander's `InvalidArgumentError`, exit 64). */
function invalid(flag: string, message: string): InvalidArgumentError {
  return new InvalidArgumentError(`${flag}: ${message}`);
}

/**
 * Parses a duration flag: `150s`, `15m`, `2h`, `1.5h` (the `ms` package, the
 * format of `vercel/ms`), or plain milliseconds (`1500`).
 *
 * @param flag - the flag, for the message.
 * @param options.positive - refuse `0` ("must be more than 0"). @default false
 * @returns the parser: milliseconds, a non-negative integer.
 * @throws {InvalidArgumentError} naming the flag when the value is not a duration.
 */
export function durationFlag(
  flag: string,
  options: { positive?: boolean } = {},
): FlagParser<number> {
  return (value) => {
    const trimmed = value.trim();
    const parsed = /^\d+$/.test(trimmed) ? Number(trimmed) : ms(trimmed as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0)
      throw invalid(flag, `'${value}' is not a duration (use e.g. 150s, 15m, 2h, or milliseconds)`);
    const rounded = Math.round(parsed);
    if (options.positive && rounded === 0) throw invalid(flag, 'must be more than 0');
    return rounded;
  };
}

/**
 * Parses a non-negative integer flag.
 *
 * @param flag - the flag, for the message.
 * @param options.max - the largest value allowed. @default no limit
 * @param options.zero - the message for `0` when `0` is refused (a pid, a port). @default `0` allowed
 * @returns the parser.
 * @throws {InvalidArgumentError} naming the flag.
 */
export function countFlag(
  flag: string,
  options: { max?: number; zero?: string } = {},
): FlagParser<number> {
  return (value) => {
    if (!/^\d+$/.test(value.trim()))
      throw invalid(flag, `'${value}' is not a non-negative integer`);
    const count = Number(value.trim());
    if (count === 0 && options.zero !== undefined) throw invalid(flag, options.zero);
    if (options.max !== undefined && count > options.max)
      throw invalid(flag, `${count} is more than ${options.max}`);
    return count;
  };
}

/**
 * Parses a size flag: `50MB`, `512kb`, `1GB` (1024-based, the `bytes`
 * package's format) or plain bytes.
 *
 * @param flag - the flag, for the message.
 * @returns the parser: bytes, a non-negative integer.
 * @throws {InvalidArgumentError} naming the flag when the value is not a size.
 */
export function sizeFlag(flag: string): FlagParser<number> {
  return (value) => {
    const parsed = bytes.parse(value.trim());
    if (parsed === null || !Number.isFinite(parsed) || parsed < 0)
      throw invalid(flag, `'${value}' is not a size (use e.g. 50MB, 512KB, or bytes)`);
    return Math.floor(parsed);
  };
}

/**
 * Parses a text flag that must say something.
 *
 * @param flag - the flag, for the message.
 * @param options.trim - refuse text that is only blanks ("must not be blank"). @default false
 * @returns the parser: the text as given.
 * @throws {InvalidArgumentError} naming the flag for an empty (or blank) value.
 */
export function textFlag(flag: string, options: { trim?: boolean } = {}): FlagParser<string> {
  return (value) => {
    if (options.trim && value.trim() === '') throw invalid(flag, 'must not be blank');
    if (value === '') throw invalid(flag, 'must not be empty');
    return value;
  };
}

/**
 * A repeatable flag: each value parsed by `parse`, all of them kept in order.
 *
 * @param parse - the parser of one value.
 * @returns the parser of the list.
 */
export function repeatable<T>(parse: FlagParser<T>): FlagParser<T[]> {
  return (value, previous = []) => [...previous, parse(value)];
}

/**
 * A regular expression flag (matched case-insensitively, as the watchdog
 * matches it).
 *
 * @param flag - the flag, for the message.
 * @returns the parser: the pattern's source as given.
 * @throws {InvalidArgumentError} naming the flag for an empty or invalid pattern.
 */
export function patternFlag(flag: string): FlagParser<string> {
  return (value) => {
    if (value === '') throw invalid(flag, 'must not be empty');
    try {
      new RegExp(value, 'i');
    } catch {
      throw invalid(flag, 'is not a valid regular expression');
    }
    return value;
  };
}

/**
 * A flag that takes one of a few words.
 *
 * @param flag - the flag, for the message.
 * @param choices - the words allowed.
 * @param describe - the message for another word.
 * @returns the parser.
 * @throws {InvalidArgumentError} naming the flag.
 */
export function oneOfFlag<T extends string>(
  flag: string,
  choices: readonly T[],
  describe: (word: string) => string,
): FlagParser<T> {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw invalid(flag, describe(value));
    return value as T;
  };
}

/**
 * A list flag: comma-separated words, each one of `choices`, also repeatable
 * (`--format sums,json --format md`), each kept once in the order given.
 *
 * @param flag - the flag, for the message.
 * @param choices - the words allowed.
 * @param describe - the message for an unknown word.
 * @returns the parser.
 * @throws {InvalidArgumentError} naming the flag and the unknown word.
 */
export function choicesFlag<T extends string>(
  flag: string,
  choices: readonly T[],
  describe: (word: string) => string,
): FlagParser<T[]> {
  return (value, previous = []) => {
    const words = value.split(',').map((word) => word.trim());
    for (const word of words)
      if (!(choices as readonly string[]).includes(word)) throw invalid(flag, describe(word));
    return [...new Set([...previous, ...(words as T[])])];
  };
}

/**
 * The one line a bad flag prints. Commander prefixes the message of an
 * `InvalidArgumentError` with `option '<flags>' argument '<value>' is
 * invalid.`; when the message names the flag itself (`--flag: …`, every parser
 * here), the prefix only repeats it and is dropped. Commander's own messages
 * (unknown option, missing argument, `choices`) are kept as they are.
 *
 * @param text - commander's message, with or without its `error: ` prefix.
 * @returns the line, without `error: ` and without a trailing newline.
 */
export function usageLine(text: string): string {
  return text
    .replace(/^error: /, '')
    .replace(/^option '[^']*' argument '.*?' is invalid\. (?=--[\w-]+: )/s, '')
    .trim();
}

/**
 * A duration option (`--flag <dur>`, parsed by {@link durationFlag}), its
 * default shown as people write it (`(default: 5s)`).
 *
 * @param flags - commander's flags, e.g. `--grace <dur>`.
 * @param description - the help line.
 * @param options.defaultMs - the default, in ms. @default none (the option stays undefined)
 * @param options.positive - refuse `0`. @default false
 * @returns the option.
 */
export function durationOption(
  flags: string,
  description: string,
  options: { defaultMs?: number; positive?: boolean } = {},
): Option {
  const flag = flags.split(/[ ,]/)[0]!;
  const option = new Option(flags, description).argParser(
    durationFlag(flag, { positive: options.positive }),
  );
  return options.defaultMs === undefined
    ? option
    : option.default(options.defaultMs, formatDuration(options.defaultMs));
}

/** `--state-dir DIR`, which every command that reads or writes state takes. */
export function stateDirOption(): Option {
  return new Option(
    '--state-dir <dir>',
    'state directory (default: <repo>/.runtime or $RUNWARDEN_STATE_DIR)',
  );
}

/** `--json`, which every command takes. */
export function jsonOption(): Option {
  return new Option('--json', 'print one JSON object with ok, reason, exitCode and the data');
}
