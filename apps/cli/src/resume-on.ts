import { RESUME_RULES, type ResumeRule } from '@runwarden/watchdog';
import { InvalidArgumentError } from 'commander';

/**
 * Parses `--resume-on` (its `argParser`): a comma-separated list of
 * {@link RESUME_RULES} (`hang,signal,exit-0,failure`, systemd's `Restart=`
 * vocabulary), or `none` (resume nothing, `Restart=no`) or `always` (all
 * four, `Restart=always`).
 *
 * @param value - what was given.
 * @returns the rules, in {@link RESUME_RULES} order.
 * @throws {InvalidArgumentError} naming the unknown rule (exit 64).
 */
export function parseResumeOn(value: string): ResumeRule[] {
  const words = value
    .split(',')
    .map((word) => word.trim().toLowerCase())
    .filter((word) => word !== '');
  if (words.length === 1 && words[0] === 'none') return [];
  if (words.length === 1 && words[0] === 'always') return [...RESUME_RULES];
  if (words.length === 0)
    throw new InvalidArgumentError(
      `--resume-on: give rules (${RESUME_RULES.join(',')}), none or always`,
    );
  for (const word of words) {
    if (!(RESUME_RULES as readonly string[]).includes(word))
      throw new InvalidArgumentError(
        `--resume-on: '${word}' is not one of ${RESUME_RULES.join(', ')} (or none, always)`,
      );
  }
  return RESUME_RULES.filter((rule) => words.includes(rule));
}
