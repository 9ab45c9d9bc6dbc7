import { describe, expect, it } from 'vitest';
import { decodeKey, encodeKey, parseTarget, targetFile } from './target.js';

describe('parseTarget', () => {
  it('normalises a pull request target: slug lower-cased, number an integer', () => {
    expect(parseTarget(' Acme/Widgets#0012 ')).toEqual({
      kind: 'pull-request',
      key: 'acme/widgets#12',
      repo: 'acme/widgets',
      pr: 12,
    });
  });

  it('keeps any other key as it is', () => {
    expect(parseTarget('queue:item-7')).toEqual({ kind: 'other', key: 'queue:item-7' });
  });

  it.each([
    [
      'acme/widgets#0',
      'Invalid pull request number in target "acme/widgets#0": must be a positive integer.',
    ],
    [
      'acme/widgets#x',
      'Invalid pull request target "acme/widgets#x": expected owner/repo#<positive number>.',
    ],
    [
      '',
      'Invalid target "": use 1 to 200 printable characters, e.g. owner/repo#123 or queue:item-7.',
    ],
  ])('refuses %j with a clear message', (input, message) => {
    expect(() => parseTarget(input)).toThrow(message);
  });
});

describe('targetFile', () => {
  it("uses dev-loops' layout for pull requests", () => {
    expect(targetFile(parseTarget('Acme/Widgets#12'))).toBe('acme/widgets/pr-12.json');
  });

  it('encodes other keys reversibly under other/', () => {
    const key = 'queue:item/7 ..*';
    const file = targetFile(parseTarget(key));
    expect(file).toBe('other/queue%3Aitem%2F7%20%2E%2E%2A.json');
    expect(decodeKey(encodeKey(key))).toBe(key);
  });
});
