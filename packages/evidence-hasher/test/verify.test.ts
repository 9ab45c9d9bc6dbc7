import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EvidenceError, verifyEvidence, writeEvidence } from '../src/index.js';
import { isRoot, runUnprivileged, startAppender, stop, tempTree } from './helpers.js';

let root: string;
beforeEach(() => {
  root = tempTree('evidence-verify-');
  writeFileSync(join(root, 'a.txt'), 'alpha\n');
  writeFileSync(join(root, 'b.txt'), 'beta\n');
  writeFileSync(join(root, 'run.sh'), '#!/bin/sh\n');
  mkdirSync(join(root, 'dir'));
  writeFileSync(join(root, 'dir', 'c.txt'), 'gamma\n');
  symlinkSync('a.txt', join(root, 'link'));
  for (const path of ['a.txt', 'b.txt', 'run.sh', 'dir/c.txt']) chmodSync(join(root, path), 0o644);
});
afterEach(() => {
  spawnSync('chmod', ['-R', 'u+rwx', root]);
  rmSync(root, { recursive: true, force: true });
});

const notOk = (report: Awaited<ReturnType<typeof verifyEvidence>>) =>
  report.entries
    .filter((entry) => entry.status !== 'ok')
    .map((entry) => [entry.path, entry.status]);

describe('verifyEvidence', () => {
  it('passes an untouched tree, from the directory or the manifest', async () => {
    const result = writeEvidence(root);
    const report = await verifyEvidence(join(root, 'evidence'));
    expect(report).toMatchObject({
      ok: true,
      root,
      problems: [],
      documents: { sums: true, statement: true, reviewPacket: true },
      rootDigest: { recorded: result.manifest.rootDigest, actual: result.manifest.rootDigest },
    });
    expect(report.counts.ok).toBe(6);
    expect((await verifyEvidence(result.manifestPath)).ok).toBe(true);
  });

  it('reports missing, extra, type-changed, mode-changed and a retargeted link, each for its path', async () => {
    writeEvidence(root);
    unlinkSync(join(root, 'b.txt'));
    writeFileSync(join(root, 'new.txt'), 'new');
    rmSync(join(root, 'dir'), { recursive: true });
    writeFileSync(join(root, 'dir'), 'now a file');
    chmodSync(join(root, 'run.sh'), 0o755);
    unlinkSync(join(root, 'link'));
    symlinkSync('b.txt', join(root, 'link'));
    const report = await verifyEvidence(join(root, 'evidence'));
    expect(report.ok).toBe(false);
    expect(notOk(report)).toEqual([
      ['b.txt', 'missing'],
      ['dir', 'type-changed'],
      ['dir/c.txt', 'missing'],
      ['link', 'modified'],
      ['new.txt', 'extra'],
      ['run.sh', 'mode-changed'],
    ]);
    expect(report.counts).toMatchObject({
      ok: 1,
      missing: 2,
      extra: 1,
      'type-changed': 1,
      'mode-changed': 1,
      modified: 1,
    });
  });

  it('reports documents that disagree even when the tree is untouched', async () => {
    const result = writeEvidence(root);
    const sums = readFileSync(result.sumsPath, 'utf8');
    writeFileSync(result.sumsPath, sums.replace(/^[0-9a-f]{64}(?= {2}a\.txt)/m, '0'.repeat(64)));
    const report = await verifyEvidence(join(root, 'evidence'));
    expect(report.ok).toBe(false);
    expect(notOk(report)).toEqual([]);
    expect(report.problems.map((problem) => problem.document)).toEqual([
      'SHA256SUMS',
      'SHA256SUMS',
    ]);
  });

  it('checks another tree with root, and reports everything missing when the root is gone', async () => {
    const out = tempTree('evidence-out-');
    try {
      writeEvidence(root, { outDir: out });
      const report = await verifyEvidence(out, { root: join(root, 'gone') });
      expect(report.ok).toBe(false);
      expect(report.counts.missing).toBe(6);
      expect(report.problems[0]?.document).toBe('root');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('throws ERR_EVIDENCE_MANIFEST for a corrupt manifest and leaves it as it was', async () => {
    const result = writeEvidence(root);
    writeFileSync(result.manifestPath, '{"schemaVersion": 1, "entries": [');
    const error = await verifyEvidence(result.manifestPath).catch((caught: unknown) => caught);
    expect(EvidenceError.isInstance(error) && error.code).toBe('ERR_EVIDENCE_MANIFEST');
    expect(readFileSync(result.manifestPath, 'utf8')).toBe('{"schemaVersion": 1, "entries": [');
  });

  it(`reports a file that became unreadable as unreadable (${isRoot ? 'verified as nobody via setpriv' : 'mode 000'})`, () => {
    writeEvidence(root);
    spawnSync('chmod', ['-R', 'a+rX', root]);
    chmodSync(join(root, 'b.txt'), 0o000);
    const report = runUnprivileged(
      `const report = await api.verifyEvidence(${JSON.stringify(join(root, 'evidence'))});
       process.stdout.write(JSON.stringify({ ok: report.ok, notOk: report.entries.filter((e) => e.status !== 'ok').map((e) => [e.path, e.status]) }));`,
    );
    expect(report).toEqual({ ok: false, notOk: [['b.txt', 'unreadable']] });
  });

  it('reports a file a writer appends to during verification as unstable', async () => {
    const growing = join(root, 'growing.log');
    writeFileSync(growing, '');
    truncateSync(growing, 256 * 1024 * 1024);
    writeEvidence(root);
    const writer = await startAppender(growing);
    try {
      const report = await verifyEvidence(join(root, 'evidence'), { retries: 1 });
      expect(notOk(report)).toEqual([['growing.log', 'unstable']]);
    } finally {
      await stop(writer);
    }
  });
});
