import { describe, expect, it } from 'vitest';
import { jsonTextState } from './json-prefix.js';

describe('jsonTextState', () => {
  it('calls a whole object complete, with whitespace around it', () => {
    expect(jsonTextState('{"schemaVersion":1}').state).toBe('complete');
    expect(jsonTextState('  {"a": [1, "x", null]}\n  ').state).toBe('complete');
  });

  it('calls an object cut short a prefix (a writer may still finish it)', () => {
    for (const text of ['{', '{"holder": {"pid": 12', '{"a": "b\\u00', '{"a": tr', '{"a": 1,'])
      expect(jsonTextState(text).state).toBe('prefix');
  });

  it('calls invalid what no continuation can make JSON', () => {
    for (const text of [
      '{"schemaVersion":1} xx',
      '{"a" : 1 ]',
      '{]',
      '{"a\u0000',
      '{"a": tx',
      '{"a": "\\x"}',
      '{"a":1}{"b":2}',
    ])
      expect(jsonTextState(text).state).toBe('invalid');
  });
});
