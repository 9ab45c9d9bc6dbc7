import { describe, expect, it } from 'vitest';
import { buildManifest, formatSha256Sums, formatSumsLine, rootDigest } from './formats.js';
import { compareUtf8, type EvidenceEntry } from './walk.js';

const hex = 'a'.repeat(64);

describe('formatSumsLine', () => {
  it('writes `<hex>  <name>` for a plain name', () => {
    expect(formatSumsLine(hex, 'logs/stdout.log')).toBe(`${hex}  logs/stdout.log\n`);
  });

  it('escapes backslash, newline and CR the way GNU sha256sum does', () => {
    expect(formatSumsLine(hex, 'a\\b\nc\rd')).toBe(`\\${hex}  a\\\\b\\nc\\rd\n`);
  });
});

describe('compareUtf8', () => {
  it('sorts by UTF-8 bytes, as LC_ALL=C sort does, not by UTF-16 units', () => {
    // U+FF5E (3 bytes, EF BD 9E) sorts before U+1F600 (4 bytes, F0 9F 98 80) in UTF-8,
    // but after it in UTF-16 (0xFF5E > 0xD83D).
    const names = ['\u{1F600}', '\uFF5E', 'Z', 'a'];
    expect([...names].sort(compareUtf8)).toEqual(['Z', 'a', '\uFF5E', '\u{1F600}']);
    expect([...names].sort()).not.toEqual([...names].sort(compareUtf8));
  });
});

describe('rootDigest and the manifest', () => {
  const entries: EvidenceEntry[] = [
    { path: 'a.txt', type: 'file', exec: false, size: 1, sha256: hex },
    { path: 'dir', type: 'dir', exec: false, size: 0 },
    { path: 'link', type: 'symlink', exec: false, size: 0, linkTarget: 'a.txt' },
  ];

  it('hashes only regular files, as `./<path>` lines', () => {
    const digest = rootDigest(entries);
    expect(digest.h1).toMatch(/^h1:[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(digest.h1.slice(3), 'base64').toString('hex')).toBe(digest.hex);
  });

  it('lists files only in SHA256SUMS', () => {
    expect(formatSha256Sums(entries)).toBe(`${hex}  a.txt\n`);
  });

  it('counts files and bytes and keeps symlink targets', () => {
    const manifest = buildManifest(entries);
    expect(manifest).toMatchObject({ schemaVersion: 1, fileCount: 1, totalBytes: 1 });
    expect(manifest.entries[2]).toEqual({
      path: 'link',
      type: 'symlink',
      exec: false,
      size: 0,
      linkTarget: 'a.txt',
    });
  });
});
