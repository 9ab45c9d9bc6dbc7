import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collectEntries, writeEvidence } from '../src/index.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'evidence-'));
  writeFileSync(join(root, 'stdout.log'), 'line one\r\nline two\n');
  writeFileSync(join(root, 'empty'), '');
  mkdirSync(join(root, 'nested', 'deeper'), { recursive: true });
  writeFileSync(join(root, 'nested', 'deeper', 'data.bin'), Buffer.from([0, 1, 2, 255]));
  writeFileSync(join(root, 'run.sh'), '#!/bin/sh\n');
  chmodSync(join(root, 'run.sh'), 0o755);
  symlinkSync('../../etc/passwd', join(root, 'escaping-link'));
  mkdirSync(join(root, 'empty-dir'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('writeEvidence', () => {
  it('writes a SHA256SUMS that sha256sum -c accepts', () => {
    const result = writeEvidence(root);
    const check = spawnSync('sha256sum', ['-c', result.sumsPath], {
      cwd: result.checkFrom,
      encoding: 'utf8',
    });
    expect(check.status).toBe(0);
    expect(check.stdout).toContain('stdout.log: OK');
    expect(check.stdout).toContain('nested/deeper/data.bin: OK');
  });

  it("gives a root digest (Go's h1, in hex) that find -printf '%P' | sort | xargs sha256sum | sha256sum reproduces", () => {
    const result = writeEvidence(root, { outDir: join(tmpdir(), `evidence-out-${process.pid}`) });
    const shell = execFileSync(
      'sh',
      [
        '-c',
        "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum",
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(shell.split(' ')[0]).toBe(result.manifest.rootSha256);
    rmSync(join(tmpdir(), `evidence-out-${process.pid}`), { recursive: true, force: true });
  });

  it('records symlinks without following them, and marks executables', () => {
    const entries = collectEntries(root);
    expect(entries.find((entry) => entry.path === 'escaping-link')).toEqual({
      path: 'escaping-link',
      type: 'symlink',
      exec: false,
      size: 0,
      linkTarget: '../../etc/passwd',
    });
    expect(entries.find((entry) => entry.path === 'run.sh')?.exec).toBe(true);
    expect(entries.find((entry) => entry.path === 'empty-dir')?.type).toBe('dir');
  });

  it('writes byte-identical manifests for the same tree', () => {
    const first = readFileSync(writeEvidence(root).manifestPath);
    const second = readFileSync(writeEvidence(root).manifestPath);
    expect(second).toEqual(first);
  });

  it('leaves its own output directory out of the hash', () => {
    writeEvidence(root);
    expect(
      collectEntries(root, { exclude: ['evidence'] }).some((entry) =>
        entry.path.startsWith('evidence'),
      ),
    ).toBe(false);
    expect(readFileSync(join(root, 'evidence', 'SHA256SUMS'), 'utf8')).not.toContain('evidence/');
  });
});
