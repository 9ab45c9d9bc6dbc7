import { describe, expect, it } from 'vitest';
import { splitWindowsCommandLine } from './windows-command-line.js';

describe('splitWindowsCommandLine', () => {
  // The examples table of "Parsing C++ command-line arguments" (Microsoft Learn), after argv[0].
  it.each([
    ['x "abc" d e', ['x', 'abc', 'd', 'e']],
    ['x a\\\\b d"e f"g h', ['x', 'a\\\\b', 'de fg', 'h']],
    ['x a\\\\\\"b c d', ['x', 'a\\"b', 'c', 'd']],
    ['x a\\\\\\\\"b c" d e', ['x', 'a\\\\b c', 'd', 'e']],
    ['x a"b"" c d', ['x', 'ab" c d']],
  ])('splits %j', (line, expected) => {
    expect(splitWindowsCommandLine(line)).toEqual(expected);
  });

  it('keeps a quoted program path with spaces and its backslashes', () => {
    expect(splitWindowsCommandLine('"C:\\Program Files\\node.exe" --flag\tvalue')).toEqual([
      'C:\\Program Files\\node.exe',
      '--flag',
      'value',
    ]);
  });

  it('gives nothing for an empty or blank command line', () => {
    expect(splitWindowsCommandLine('')).toEqual([]);
    expect(splitWindowsCommandLine('   ')).toEqual([]);
  });
});
