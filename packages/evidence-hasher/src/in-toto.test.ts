import { describe, expect, it } from 'vitest';
import { buildManifest } from './formats.js';
import {
  buildStatement,
  RUN_PREDICATE_TYPE,
  STATEMENT_TYPE,
  serializeStatement,
} from './in-toto.js';
import type { EvidenceEntry } from './walk.js';

const entries: EvidenceEntry[] = [
  { path: 'journal.jsonl', type: 'file', exec: false, size: 10, sha256: 'b'.repeat(64) },
  { path: 'stdout.log', type: 'file', exec: false, size: 3, sha256: 'c'.repeat(64) },
  { path: 'partial.log', type: 'file', exec: false, size: 3, status: 'unstable' },
  { path: 'link', type: 'symlink', exec: false, size: 0, linkTarget: 'stdout.log' },
];

describe('buildStatement', () => {
  it('writes an in-toto Statement v1 with one subject per hashed file and the run as predicate', () => {
    const manifest = buildManifest(entries);
    const run = {
      runId: '20260101-000000-abcdef',
      command: ['opencode', 'run', 'fix the tests'],
      timeouts: { missionMs: 7_200_000, idleMs: 900_000 },
      reason: 'MISSION_TIMEOUT',
      exitCode: 2,
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T02:00:00.000Z',
      durationMs: 7_200_000,
      processes: [{ pid: 42, startTimeMs: 1_767_225_600_000, bootId: 'boot', role: 'child' }],
    };
    const statement = buildStatement(manifest, {
      run,
      documents: { 'manifest.json': 'd'.repeat(64) },
    });
    expect(statement._type).toBe(STATEMENT_TYPE);
    expect(statement._type).toBe('https://in-toto.io/Statement/v1');
    expect(statement.predicateType).toBe(RUN_PREDICATE_TYPE);
    expect(statement.subject).toEqual([
      { name: 'journal.jsonl', digest: { sha256: 'b'.repeat(64) } },
      { name: 'stdout.log', digest: { sha256: 'c'.repeat(64) } },
    ]);
    expect(statement.predicate.run).toEqual(run);
    expect(statement.predicate.evidence).toEqual({
      rootDigest: manifest.rootDigest,
      rootSha256: manifest.rootSha256,
      fileCount: 3,
      totalBytes: 16,
      incomplete: [{ path: 'partial.log', status: 'unstable' }],
      collisions: [],
      documents: { 'manifest.json': 'd'.repeat(64) },
    });
  });

  it('serialises canonically: `_type` first, keys sorted', () => {
    const text = serializeStatement(buildStatement(buildManifest(entries)));
    expect(
      text.startsWith('{\n  "_type": "https://in-toto.io/Statement/v1",\n  "predicate": {'),
    ).toBe(true);
    expect(JSON.parse(text).predicate.run).toBeUndefined();
  });
});
