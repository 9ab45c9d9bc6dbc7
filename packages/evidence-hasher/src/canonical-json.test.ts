import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, whatever order they were inserted in', () => {
    const first = canonicalJson({ b: 1, a: { d: [1, { z: true, y: null }], c: 'x' } });
    const second = canonicalJson({ a: { c: 'x', d: [1, { y: null, z: true }] }, b: 1 });
    expect(second).toBe(first);
    expect(first).toBe(
      '{\n  "a": {\n    "c": "x",\n    "d": [\n      1,\n      {\n        "y": null,\n        "z": true\n      }\n    ]\n  },\n  "b": 1\n}\n',
    );
  });

  it('sorts integer-like keys as strings, as RFC 8785 does, not numerically as JSON.stringify does', () => {
    expect(canonicalJson({ 10: 'a', 9: 'b', x: 'c' }, 0)).toBe('{"10":"a","9":"b","x":"c"}\n');
    expect(JSON.stringify({ 10: 'a', 9: 'b' })).toBe('{"9":"b","10":"a"}');
  });

  it('sorts by UTF-16 code units (RFC 8785 §3.2.3) and drops undefined members', () => {
    expect(canonicalJson({ '\u{1F600}': 1, '\uFF5E': 2, é: 3, e: 4, u: undefined }, 0)).toBe(
      '{"e":4,"é":3,"😀":1,"～":2}\n',
    );
  });

  it('writes empty objects and arrays compactly', () => {
    expect(canonicalJson({ a: [], b: {} })).toBe('{\n  "a": [],\n  "b": {}\n}\n');
  });

  it('refuses a number JSON cannot hold', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow('JSON cannot hold the number NaN.');
  });
});
