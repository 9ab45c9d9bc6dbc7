import { describe, expect, it } from 'vitest';
import { caseKey, findCollisions, nfcKey } from './collisions.js';

describe('findCollisions', () => {
  it('flags NFC/NFD twins as an nfc collision', () => {
    const composed = 'caf\u00E9.txt';
    const decomposed = 'cafe\u0301.txt';
    expect(nfcKey(decomposed)).toBe(composed);
    expect(findCollisions([composed, decomposed, 'other'])).toEqual([
      { kind: 'nfc', paths: [composed, decomposed] },
    ]);
  });

  it('flags names equal after case folding, including ß/SS and the Kelvin sign', () => {
    expect(findCollisions(['README.md', 'readme.md', 'x'])).toEqual([
      { kind: 'case', paths: ['README.md', 'readme.md'] },
    ]);
    expect(caseKey('STRASSE')).toBe(caseKey('straße'));
    expect(caseKey('\u212A')).toBe(caseKey('k'));
  });

  it('flags a path under colliding directories too', () => {
    expect(findCollisions(['Dir/a', 'dir/a'])).toEqual([
      { kind: 'case', paths: ['Dir/a', 'dir/a'] },
    ]);
  });

  it('reports a case group only when it adds a name the nfc group lacks', () => {
    const composed = '\u00E9';
    const decomposed = 'e\u0301';
    expect(findCollisions([composed, decomposed])).toEqual([
      { kind: 'nfc', paths: [composed, decomposed] },
    ]);
    expect(findCollisions([composed, decomposed, '\u00C9'])).toEqual([
      { kind: 'nfc', paths: [composed, decomposed] },
      { kind: 'case', paths: [composed, decomposed, '\u00C9'] },
    ]);
  });

  it('finds nothing in distinct names', () => {
    expect(findCollisions(['a', 'b', 'a/b', 'ab'])).toEqual([]);
  });
});
