import { EVIDENCE_FORMATS, type EvidenceFormat } from '@runwarden/evidence-hasher';
import { Option } from 'commander';
import { choicesFlag } from '../../flags.js';

/**
 * `--format`'s parser: `sums,json` (commas, repeatable) into formats, each
 * once, in the order given.
 *
 * @throws {InvalidArgumentError} naming an unknown format.
 */
export const formatFlag = choicesFlag<EvidenceFormat>(
  '--format',
  EVIDENCE_FORMATS,
  (word) => `unknown format "${word}" (use ${EVIDENCE_FORMATS.join(', ')})`,
);

/**
 * Parses the values of `--format` given (what the option's parser folds).
 *
 * @param values - the raw values.
 * @returns the formats in the order given, or `undefined` when none were given.
 * @throws {InvalidArgumentError} naming an unknown format.
 */
export function parseFormats(values: string[] | undefined): EvidenceFormat[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.reduce<EvidenceFormat[]>((formats, value) => formatFlag(value, formats), []);
}

/**
 * `--format FORMATS...` of `runwarden evidence hash` (deferred with
 * `beforeParse`: it reads evidence-hasher's `EVIDENCE_FORMATS`).
 *
 * @returns the option.
 */
export function formatOption(): Option {
  return new Option(
    '--format <formats...>',
    `documents to write (with --out) or the one to print (default sums): ${EVIDENCE_FORMATS.join(', ')}`,
  ).argParser(formatFlag);
}
