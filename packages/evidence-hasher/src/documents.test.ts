import { describe, expect, it } from 'vitest';
import { crossCheck } from './documents.js';
import { renderEvidence } from './evidence.js';
import type { EvidenceEntry } from './walk.js';

const entries: EvidenceEntry[] = [
  { path: 'a.txt', type: 'file', exec: false, size: 3, sha256: 'a'.repeat(64) },
  { path: 'new\nline', type: 'file', exec: false, size: 1, sha256: 'b'.repeat(64) },
];
const rendered = renderEvidence(entries, { location: { root: '..' } });
const documents = () => ({
  manifest: rendered.manifest,
  manifestText: rendered.texts.json,
  sums: rendered.texts.sums,
  statement: rendered.texts.intoto,
  reviewPacket: rendered.texts.md,
});

describe('crossCheck', () => {
  it('finds nothing when the documents agree', () => {
    expect(crossCheck(documents())).toEqual([]);
  });

  it('names a SHA256SUMS line whose digest differs from the manifest', () => {
    const input = {
      ...documents(),
      sums: rendered.texts.sums.replace('a'.repeat(64), 'c'.repeat(64)),
    };
    expect(crossCheck(input)).toEqual([
      {
        document: 'SHA256SUMS',
        path: 'a.txt',
        message: `line 1: digest ${'c'.repeat(64)} differs from manifest.json (${'a'.repeat(64)})`,
      },
      {
        document: 'SHA256SUMS',
        message: 'its SHA-256 differs from the one statement.intoto.json records',
      },
    ]);
  });

  it('names a file missing from SHA256SUMS and a line for an unknown file', () => {
    const lines = rendered.texts.sums.split(/(?<=\n)/);
    const input = {
      ...documents(),
      statement: undefined,
      sums: `${lines[1]}${'d'.repeat(64)}  ghost\n`,
    };
    expect(crossCheck(input)).toEqual([
      {
        document: 'SHA256SUMS',
        path: 'ghost',
        message: 'line 2: not a hashed file in manifest.json',
      },
      {
        document: 'SHA256SUMS',
        path: 'a.txt',
        message: 'missing, though manifest.json lists its digest',
      },
    ]);
  });

  it('catches a manifest whose root digest no longer matches its entries', () => {
    const manifest = { ...documents().manifest, entries: [...documents().manifest.entries] };
    manifest.entries[0] = { ...manifest.entries[0]!, sha256: 'e'.repeat(64) };
    const problems = crossCheck({ ...documents(), manifest, sums: undefined });
    expect(problems.map((problem) => problem.message)).toContain(
      `rootDigest ${manifest.rootDigest} does not match its entries (${renderEvidence(manifest.entries).manifest.rootDigest})`,
    );
    expect(problems).toContainEqual({
      document: 'statement.intoto.json',
      path: 'a.txt',
      message: 'subject digest differs from manifest.json',
    });
  });

  it('catches a manifest edited after the statement recorded its digest', () => {
    const manifestText = rendered.texts.json.replace('"root": ".."', '"root": "../.."');
    expect(crossCheck({ ...documents(), manifestText })).toEqual([
      {
        document: 'manifest.json',
        message: 'its SHA-256 differs from the one statement.intoto.json records',
      },
    ]);
  });

  it('catches a review packet that shows another root digest', () => {
    const reviewPacket = rendered.texts.md.replace(rendered.manifest.rootDigest, 'h1:other');
    expect(crossCheck({ ...documents(), reviewPacket })).toEqual([
      {
        document: 'review-packet.md',
        message: `does not show the root digest ${rendered.manifest.rootDigest}`,
      },
    ]);
  });
});
