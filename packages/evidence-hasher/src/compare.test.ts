import { describe, expect, it } from 'vitest';
import { compareEntry, compareTrees, countStatuses } from './compare.js';
import type { EvidenceEntry } from './walk.js';

const digest = (char: string) => char.repeat(64);
const file = (extra: Partial<EvidenceEntry> = {}): EvidenceEntry => ({
  path: 'a.txt',
  type: 'file',
  exec: false,
  size: 3,
  sha256: digest('a'),
  ...extra,
});
const link = (target: string): EvidenceEntry => ({
  path: 'l',
  type: 'symlink',
  exec: false,
  size: 0,
  linkTarget: target,
});
const dir: EvidenceEntry = { path: 'd', type: 'dir', exec: false, size: 0 };

describe('compareEntry', () => {
  it.each([
    ['the same file', file(), file(), 'ok'],
    ['a file with another digest', file(), file({ sha256: digest('b') }), 'modified'],
    ['a file with another size', file(), file({ size: 4 }), 'modified'],
    ['a file whose execute bit flipped', file(), file({ exec: true }), 'mode-changed'],
    ['changed content and mode', file(), file({ exec: true, sha256: digest('b') }), 'modified'],
    ['a file that is gone', file(), undefined, 'missing'],
    ['a file that was not recorded', undefined, file(), 'extra'],
    ['a file that became a directory', file(), { ...dir, path: 'a.txt' }, 'type-changed'],
    [
      'a file unreadable now',
      file(),
      file({ sha256: undefined, status: 'unreadable' }),
      'unreadable',
    ],
    ['a file changing now', file(), file({ sha256: undefined, status: 'unstable' }), 'unstable'],
    [
      'a file unreadable when recorded',
      file({ sha256: undefined, status: 'unreadable' }),
      file(),
      'unreadable',
    ],
    [
      'a file changing when recorded',
      file({ sha256: undefined, status: 'unstable' }),
      file(),
      'unstable',
    ],
    ['the same symlink', link('x'), link('x'), 'ok'],
    ['a symlink pointing elsewhere', link('x'), link('y'), 'modified'],
    ['a directory', dir, dir, 'ok'],
  ] as const)('%s', (_name, expected, actual, status) => {
    expect(compareEntry(expected, actual)).toBe(status);
  });
});

describe('compareTrees', () => {
  it('reports every path of either side once, sorted by UTF-8 bytes', () => {
    const expected = [file({ path: 'b' }), file({ path: '\uFF5E' }), dir];
    const actual = [file({ path: 'b', sha256: digest('c') }), file({ path: '\u{1F600}' }), dir];
    const reports = compareTrees(expected, actual);
    expect(reports.map((report) => [report.path, report.status])).toEqual([
      ['b', 'modified'],
      ['d', 'ok'],
      ['\uFF5E', 'missing'],
      ['\u{1F600}', 'extra'],
    ]);
    expect(countStatuses(reports)).toEqual({
      ok: 1,
      modified: 1,
      missing: 1,
      extra: 1,
      'type-changed': 0,
      'mode-changed': 0,
      unreadable: 0,
      unstable: 0,
    });
  });
});
