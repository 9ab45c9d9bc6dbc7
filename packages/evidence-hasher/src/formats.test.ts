import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildManifest,
  formatSha256Sums,
  formatSumsLine,
  legacyRootDigest,
  parseSha256Sums,
  rootDigest,
  rootDigestFor,
  serializeManifest,
} from './formats.js';
import { compareUtf8, type EvidenceEntry, sortEntries } from './walk.js';

const hex = 'a'.repeat(64);

describe('formatSumsLine', () => {
  it('writes `<hex>  <name>` for a plain name', () => {
    expect(formatSumsLine(hex, 'logs/stdout.log')).toBe(`${hex}  logs/stdout.log\n`);
  });

  it('escapes backslash, newline and CR the way GNU sha256sum does', () => {
    expect(formatSumsLine(hex, 'a\\b\nc\rd')).toBe(`\\${hex}  a\\\\b\\nc\\rd\n`);
  });
});

describe('parseSha256Sums', () => {
  it('reads back every name formatSumsLine writes, escaped or not', () => {
    const names = ['plain', 'a\\b', 'new\nline', 'cr\rname', 'tail\\', 'emoji 😀', '\\n literal'];
    const text = names.map((name) => formatSumsLine(hex, name)).join('');
    const parsed = parseSha256Sums(text);
    expect(parsed.problems).toEqual([]);
    expect(parsed.lines.map((line) => line.path)).toEqual(names);
  });

  it('accepts binary-mode lines and names lines it cannot read', () => {
    const parsed = parseSha256Sums(`${hex} *bin\nnot a line\n${hex.slice(1)}  short\n`);
    expect(parsed.lines).toEqual([{ sha256: hex, path: 'bin', lineNumber: 1 }]);
    expect(parsed.problems).toEqual([
      { lineNumber: 2, message: 'not a GNU sha256sum line (<64 hex>  <name>)' },
      { lineNumber: 3, message: 'not a GNU sha256sum line (<64 hex>  <name>)' },
    ]);
  });
});

describe('compareUtf8', () => {
  it('sorts by UTF-8 bytes, as LC_ALL=C sort does, not by UTF-16 units', () => {
    // U+FF5E (3 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 9F 98 80) in UTF-8,
    // but after it in UTF-16 (0xFF5E > 0xD83D).
    const names = ['\u{1F600}', '\uFF5E', 'Z', 'a'];
    expect([...names].sort(compareUtf8)).toEqual(['Z', 'a', '\uFF5E', '\u{1F600}']);
    expect([...names].sort()).not.toEqual([...names].sort(compareUtf8));
    expect(sortEntries(names.map((path) => ({ path }))).map((entry) => entry.path)).toEqual([
      'Z',
      'a',
      '\uFF5E',
      '\u{1F600}',
    ]);
  });
});

describe('rootDigest and the manifest', () => {
  const entries: EvidenceEntry[] = [
    { path: 'a.txt', type: 'file', exec: false, size: 1, sha256: hex },
    { path: 'dir', type: 'dir', exec: false, size: 0 },
    { path: 'link', type: 'symlink', exec: false, size: 0, linkTarget: 'a.txt' },
    { path: 'locked', type: 'file', exec: false, size: 5, status: 'unreadable' },
  ];

  it("hashes only regular files with a digest, as Go's h1 lines `<hex>  <path>` (no ./, no escaping)", () => {
    const digest = rootDigest(entries);
    expect(digest.h1).toMatch(/^h1:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(digest.h1.slice(3), 'base64').toString('hex')).toBe(digest.hex);
    expect(digest.hex).toBe(createHash('sha256').update(`${hex}  a.txt\n`).digest('hex'));
    const odd: EvidenceEntry[] = [
      { path: 'back\\slash', type: 'file', exec: false, size: 1, sha256: hex },
      { path: 'new\nline', type: 'file', exec: false, size: 1, sha256: hex },
    ];
    // A backslash is written as it is (as Go does); a newline, which Go refuses, GNU-escaped.
    expect(rootDigest(odd).hex).toBe(
      createHash('sha256').update(`${hex}  back\\slash\n\\${hex}  new\\nline\n`).digest('hex'),
    );
  });

  it('keeps the schema version 1 root (./ lines, GNU-escaped) for evidence written before', () => {
    expect(legacyRootDigest(entries).hex).toBe(
      createHash('sha256').update(`${hex}  ./a.txt\n`).digest('hex'),
    );
    expect(rootDigestFor(1, entries)).toEqual(legacyRootDigest(entries));
    expect(rootDigestFor(2, entries)).toEqual(rootDigest(entries));
  });

  it('lists hashed files only in SHA256SUMS', () => {
    expect(formatSha256Sums(entries)).toBe(`${hex}  a.txt\n`);
    expect(formatSha256Sums(entries, 'out/')).toBe(`${hex}  out/a.txt\n`);
  });

  it('counts files and bytes, keeps symlink targets and statuses', () => {
    const manifest = buildManifest(entries, { root: '..', exclude: ['evidence'] });
    expect(manifest).toMatchObject({
      schemaVersion: 2,
      fileCount: 2,
      totalBytes: 6,
      root: '..',
      exclude: ['evidence'],
    });
    expect(manifest.entries[2]).toEqual({
      path: 'link',
      type: 'symlink',
      exec: false,
      size: 0,
      linkTarget: 'a.txt',
    });
    expect(manifest.entries[3]?.status).toBe('unreadable');
  });

  it('serialises with sorted keys, so key order in the input does not matter', () => {
    const text = serializeManifest(buildManifest(entries));
    const keys = [...text.matchAll(/^ {2}"(\w+)":/gm)].map((match) => match[1]);
    expect(keys).toEqual([...keys].sort());
    expect(text.endsWith('}\n')).toBe(true);
  });
});
