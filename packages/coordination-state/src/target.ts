import { CoordinationError } from './errors.js';

/** A parsed, normalised target key. */
export type Target =
  | { kind: 'pull-request'; key: string; repo: string; pr: number }
  | { kind: 'other'; key: string };

const PR_PATTERN = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)#(\d+)$/;

/**
 * Parses and normalises a target key: `owner/repo#123` is a pull request (slug
 * lower-cased, number a positive integer), anything else of 1 to 200 printable
 * characters (`queue:item-7`) is an opaque key.
 *
 * @param input - the key as given (surrounding spaces are trimmed).
 * @returns the parsed target with its normalised `key`.
 * @throws {CoordinationError} `ERR_INVALID_TARGET` for an empty, too long or malformed key.
 */
export function parseTarget(input: string): Target {
  const key = input.trim();
  const match = PR_PATTERN.exec(key);
  if (match) {
    const pr = Number(match[3]);
    if (!Number.isSafeInteger(pr) || pr <= 0) {
      throw new CoordinationError({
        code: 'ERR_INVALID_TARGET',
        message: `Invalid pull request number in target ${JSON.stringify(input)}: must be a positive integer.`,
      });
    }
    const owner = match[1]!.toLowerCase();
    const repo = match[2]!.toLowerCase();
    if (owner === '.' || owner === '..' || repo === '.' || repo === '..') {
      throw new CoordinationError({
        code: 'ERR_INVALID_TARGET',
        message: `Invalid repository slug in target ${JSON.stringify(input)}.`,
      });
    }
    return { kind: 'pull-request', key: `${owner}/${repo}#${pr}`, repo: `${owner}/${repo}`, pr };
  }
  if (key.includes('#') && key.includes('/')) {
    throw new CoordinationError({
      code: 'ERR_INVALID_TARGET',
      message: `Invalid pull request target ${JSON.stringify(input)}: expected owner/repo#<positive number>.`,
    });
  }
  if (key.length === 0 || key.length > 200 || /[\u0000-\u001f\u007f]/.test(key)) {
    throw new CoordinationError({
      code: 'ERR_INVALID_TARGET',
      message: `Invalid target ${JSON.stringify(input)}: use 1 to 200 printable characters, e.g. owner/repo#123 or queue:item-7.`,
    });
  }
  return { kind: 'other', key };
}

/**
 * The file of a target, relative to the coordination directory:
 * `<owner>/<repo>/pr-<N>.json` for a pull request (dev-loops'
 * `.pi/runner-coordination/` layout), `other/<encoded>.json` otherwise, where
 * the encoding is reversible (`encodeURIComponent`, with `.` and `*` escaped too).
 *
 * @param target - the parsed target.
 * @returns the relative path, with `/` separators.
 */
export function targetFile(target: Target): string {
  if (target.kind === 'pull-request') {
    const [owner, repo] = target.repo.split('/');
    return `${owner}/${repo}/pr-${target.pr}.json`;
  }
  return `other/${encodeKey(target.key)}.json`;
}

/**
 * Reversible file-name encoding of an opaque key: `encodeURIComponent` with
 * `.`, `*`, `'` and `!` escaped too, so no name is `.`, `..` or hidden.
 *
 * @param key - the key.
 * @returns a file-name-safe string.
 */
export function encodeKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/\./g, '%2E')
    .replace(/\*/g, '%2A')
    .replace(/'/g, '%27')
    .replace(/!/g, '%21');
}

/**
 * Inverse of {@link encodeKey}.
 *
 * @param encoded - a name made by {@link encodeKey}.
 * @returns the key.
 */
export function decodeKey(encoded: string): string {
  return decodeURIComponent(encoded);
}
