import { describe, expect, it } from 'vitest';
import { EvidenceError } from './errors.js';
import { renderEvidence } from './evidence.js';
import { parseManifest } from './manifest-parse.js';
import type { EvidenceEntry } from './walk.js';

const entries: EvidenceEntry[] = [
  { path: 'a.txt', type: 'file', exec: false, size: 3, sha256: 'a'.repeat(64) },
  { path: 'new\nline', type: 'file', exec: false, size: 1, sha256: 'b'.repeat(64) },
];
const rendered = renderEvidence(entries, { location: { root: '..' } });

describe('parseManifest', () => {
  it('reads back what renderEvidence writes', async () => {
    expect(await parseManifest(rendered.texts.json, 'm.json')).toEqual(rendered.manifest);
  });

  it('refuses text that is not JSON, naming the file', async () => {
    await expect(parseManifest('{', '/x/manifest.json')).rejects.toThrow(
      /^\/x\/manifest\.json is not JSON: /,
    );
  });

  it('refuses an unknown schema version with the way out', async () => {
    const error = await parseManifest('{"schemaVersion":3}', 'm.json').catch((caught) => caught);
    expect(EvidenceError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ERR_EVIDENCE_MANIFEST',
      message: 'm.json has schemaVersion 3; this runwarden reads versions 1 and 2.',
      hint: 'Verify it with the runwarden version that wrote it.',
    });
  });

  it('refuses a malformed entry, naming where', async () => {
    const bad = rendered.texts.json.replace('"a.txt"', '7');
    await expect(parseManifest(bad, 'm.json')).rejects.toThrow(
      'm.json is not a valid manifest: entries.0.path:',
    );
  });

  it("quotes zod's first issue in English (zod/mini loads no locale; parseManifest asks for English)", async () => {
    const bad = rendered.texts.json.replace('"a.txt"', '7');
    await expect(parseManifest(bad, 'm.json')).rejects.toThrow(
      'm.json is not a valid manifest: entries.0.path: Invalid input: expected string, received number',
    );
    const extra = rendered.texts.json.replace('{', '{"odd":1,');
    await expect(parseManifest(extra, 'm.json')).rejects.toThrow(
      'm.json is not a valid manifest: (top): Unrecognized key: "odd"',
    );
  });
});
