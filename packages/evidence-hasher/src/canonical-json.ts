import { EvidenceError } from './errors.js';

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
  const pad = (depth: number) => (indentSpaces > 0 ? `\n${' '.repeat(indentSpaces * depth)}` : '');
  const colon = indentSpaces > 0 ? ': ' : ':';
  const write = (item: unknown, depth: number): string => {
    if (item === null) return 'null';
    switch (typeof item) {
      case 'string':
      case 'boolean':
        return JSON.stringify(item);
      case 'number':
        if (!Number.isFinite(item))
          throw new EvidenceError(
            'ERR_EVIDENCE_OUTPUT',
            '',
            `JSON cannot hold the number ${item}.`,
          );
        return JSON.stringify(item);
      case 'object': {
        if (Array.isArray(item)) {
          if (item.length === 0) return '[]';
          const parts = item.map((element) =>
            element === undefined ? 'null' : write(element, depth + 1),
          );
          return `[${parts.map((part) => `${pad(depth + 1)}${part}`).join(',')}${pad(depth)}]`;
        }
        const keys = Object.keys(item)
          .filter((key) => (item as Record<string, unknown>)[key] !== undefined)
          .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        if (keys.length === 0) return '{}';
        const parts = keys.map(
          (key) =>
            `${pad(depth + 1)}${JSON.stringify(key)}${colon}${write((item as Record<string, unknown>)[key], depth + 1)}`,
        );
        return `{${parts.join(',')}${pad(depth)}}`;
      }
      default:
        throw new EvidenceError(
          'ERR_EVIDENCE_OUTPUT',
          '',
          `JSON cannot hold a value of type ${typeof item}.`,
        );
    }
  };
  return `${write(value, 0)}\n`;
}
