import { EvidenceError } from './errors.js';

/** Keys that JavaScript objects order numerically, before the others (array indices). */
const INTEGER_KEY = /^(?:0|[1-9]\d*)$/;

/** Thrown inside {@link sortedCopy} when an object has integer-like keys. */
const NEEDS_SLOW_PATH = Symbol('needs-slow-path');

function invalid(message: string): EvidenceError {
  return new EvidenceError({ code: 'ERR_EVIDENCE_OUTPUT', path: '', message });
}

/** A deep copy with every object's keys inserted in sorted order (for `JSON.stringify`). */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw invalid(`JSON cannot hold the number ${value}.`);
    if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol')
      throw invalid(`JSON cannot hold a value of type ${typeof value}.`);
    return value;
  }
  if (Array.isArray(value))
    return value.map((item) => (item === undefined ? null : sortedCopy(item)));
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    if (INTEGER_KEY.test(key)) throw NEEDS_SLOW_PATH;
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) copy[key] = sortedCopy(item);
  }
  return copy;
}

/** The general writer: handles integer-like keys, which no JavaScript object keeps in string order. */
function writeSlow(value: unknown, indentSpaces: number): string {
  const unit = ' '.repeat(indentSpaces);
  const colon = indentSpaces > 0 ? ': ' : ':';
  const write = (item: unknown, indent: string): string => {
    if (item === null || typeof item !== 'object') return JSON.stringify(sortedCopy(item));
    const inner = indentSpaces > 0 ? `${indent}${unit}` : '';
    const open = indentSpaces > 0 ? `\n${inner}` : '';
    const close = indentSpaces > 0 ? `\n${indent}` : '';
    const separator = indentSpaces > 0 ? `,\n${inner}` : ',';
    if (Array.isArray(item)) {
      if (item.length === 0) return '[]';
      return `[${open}${item.map((element) => (element === undefined ? 'null' : write(element, inner))).join(separator)}${close}]`;
    }
    const keys = Object.keys(item)
      .filter((key) => (item as Record<string, unknown>)[key] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length === 0) return '{}';
    const members = keys.map(
      (key) =>
        `${JSON.stringify(key)}${colon}${write((item as Record<string, unknown>)[key], inner)}`,
    );
    return `{${open}${members.join(separator)}${close}}`;
  };
  return write(value, '');
}

/**
 * Serialises a JSON value canonically: object keys sorted by UTF-16 code
 * units at every depth, as the JSON Canonicalization Scheme does (RFC 8785
 * §3.2.3; integer-like keys included, unlike `JSON.stringify`'s insertion
 * order), `undefined` members dropped, strings and numbers as ECMAScript
 * prints them, and a trailing newline. With `indentSpaces` 0 the output is
 * RFC 8785's compact form for the values evidence holds (strings, safe
 * integers, booleans, null); the default indents for people.
 *
 * @param value A JSON value (objects, arrays, strings, finite numbers, booleans, null).
 * @param indentSpaces Spaces per level.
 * @default indentSpaces 2
 * @returns The text, ending in one newline.
 * @throws {EvidenceError} `ERR_EVIDENCE_OUTPUT` for a value JSON cannot hold (a non-finite number, a function, a bigint).
 */
export function canonicalJson(value: unknown, indentSpaces = 2): string {
  try {
    return `${JSON.stringify(sortedCopy(value), null, indentSpaces)}\n`;
  } catch (error) {
    if (error !== NEEDS_SLOW_PATH) throw error;
    return `${writeSlow(value, indentSpaces)}\n`;
  }
}
