import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  collectEntries,
  collectEntriesAsync,
  type EvidenceEntry,
  verifyEvidence,
  writeEvidence,
  writeEvidenceAsync,
} from '../src/index.js';
import { isRoot, runUnprivileged, shell, startAppender, stop, tempTree } from './helpers.js';

let root: string;
const cleanup: string[] = [];
beforeEach(() => {
  root = tempTree('evidence-pitfalls-');
  cleanup.push(root);
});
afterEach(() => {
  for (const dir of cleanup.splice(0)) {
    spawnSync('chmod', ['-R', 'u+rwx', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

const byPath = (entries: EvidenceEntry[], path: string) =>
  entries.find((entry) => entry.path === path);
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Names that break naive tools: escapes, emoji, NFC/NFD and case twins, sort traps. */
const oddNames = [
  'new\nline.txt',
  'back\\slash.txt',
  'carriage\rreturn.txt',
  'x-\u{1F600}.txt',
  'x-\uFF5E.txt',
  'caf\u00E9.txt',
  'cafe\u0301.txt',
  'README.md',
  'readme.md',
  'space name.txt',
  ' leading-space',
  '-dash',
  'a.txt',
  'a-b',
  'pipe|name',
  'tick`name',
];

describe('content and names', () => {
  it('hashes CRLF content byte for byte, as sha256sum does', () => {
    writeFileSync(join(root, 'crlf.txt'), 'one\r\ntwo\r\n');
    writeFileSync(join(root, 'lf.txt'), 'one\ntwo\n');
    const entries = collectEntries(root);
    expect(byPath(entries, 'crlf.txt')?.sha256).toBe(
      shell('sha256sum crlf.txt', root).slice(0, 64),
    );
    expect(byPath(entries, 'crlf.txt')?.sha256).not.toBe(byPath(entries, 'lf.txt')?.sha256);
  });

  it('writes a SHA256SUMS that sha256sum -c passes on names with newline, backslash, CR, emoji and NFC/NFD twins', () => {
    for (const [index, name] of oddNames.entries())
      writeFileSync(join(root, name), `content ${index}\n`);
    const result = writeEvidence(root);
    const check = spawnSync('sha256sum', ['--strict', '-c', 'evidence/SHA256SUMS'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
    expect(check.stdout.split('\n').filter((line) => line.endsWith(': OK'))).toHaveLength(
      oddNames.length,
    );
    expect(readFileSync(result.sumsPath, 'utf8')).toContain(`  new\\nline.txt\n`);
  });

  it('flags NFC/NFD twins and case twins, and keeps both files', () => {
    for (const name of oddNames) writeFileSync(join(root, name), name);
    const entries = collectEntries(root);
    expect(byPath(entries, 'caf\u00E9.txt')).toMatchObject({
      collision: 'nfc',
      sha256: sha256('caf\u00E9.txt'),
    });
    expect(byPath(entries, 'cafe\u0301.txt')).toMatchObject({
      collision: 'nfc',
      sha256: sha256('cafe\u0301.txt'),
    });
    expect(byPath(entries, 'README.md')?.collision).toBe('case');
    expect(byPath(entries, 'readme.md')?.collision).toBe('case');
    expect(byPath(entries, 'a.txt')?.collision).toBeUndefined();
  });

  it('sorts paths in the order of LC_ALL=C sort (UTF-8 bytes), the golden test', () => {
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'a.b'));
    for (const name of [...oddNames, 'a/z', 'a/\u00E9', 'a.b/c', 'Z', '_', '~', '\u4E2D\u6587'])
      writeFileSync(join(root, name), name);
    const ours = collectEntries(root)
      .filter((entry) => entry.type === 'file')
      .map((entry) => `./${entry.path}`);
    const golden = shell('find . -type f -print0 | LC_ALL=C sort -z', root)
      .split('\0')
      .slice(0, -1);
    expect(ours).toEqual(golden);
    // A JavaScript sort would put U+1F600 before U+FF5E: this golden catches that.
    expect([...ours].sort()).not.toEqual(golden);
  });

  it('gives Go h1 lines for odd names (a backslash or CR as it is, a newline GNU-escaped), from sha256sum digests', () => {
    for (const name of oddNames) writeFileSync(join(root, name), name);
    mkdirSync(join(root, 'nested', 'deeper'), { recursive: true });
    writeFileSync(join(root, 'nested', 'deeper', 'data.bin'), Buffer.from([0, 1, 2, 255]));
    const out = tempTree('evidence-out-');
    cleanup.push(out);
    const result = writeEvidence(root, { outDir: out });
    // The digests come from coreutils; the lines are built as Go's Hash1 writes them.
    const names = shell("find . -type f -printf '%P\\0' | LC_ALL=C sort -z", root)
      .split('\0')
      .filter(Boolean);
    const lines = names.map((name) => {
      const digest = shell(`sha256sum < '${join(root, name).replace(/'/g, "'\\''")}'`, root).slice(
        0,
        64,
      );
      return name.includes('\n')
        ? `\\${digest}  ${name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}\n`
        : `${digest}  ${name}\n`;
    });
    expect(createHash('sha256').update(lines.join('')).digest('hex')).toBe(
      result.manifest.rootSha256,
    );
  });
});

describe('names that are not UTF-8', () => {
  it('lists a non-UTF-8 name as unreadable (with U+FFFD), never mangled into another file or skipped', () => {
    writeFileSync(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe])]), 'x');
    writeFileSync(join(root, 'good'), 'y');
    const result = writeEvidence(root);
    expect(result.manifest.entries).toEqual([
      { path: 'bad-\uFFFD\uFFFD', type: 'file', exec: false, size: 0, status: 'unreadable' },
      { path: 'good', type: 'file', exec: false, size: 1, sha256: sha256('y') },
    ]);
    expect(shell('sha256sum -c evidence/SHA256SUMS', root)).toBe('good: OK\n');
  });
});

describe('evidence written into the root itself', () => {
  it('leaves its own four files out, so hashing again and verifying both agree', async () => {
    writeFileSync(join(root, 'a.txt'), 'a');
    const first = writeEvidence(root, { outDir: root });
    expect(first.manifest.entries.map((entry) => entry.path)).toEqual(['a.txt']);
    const second = writeEvidence(root, { outDir: root });
    expect(readFileSync(second.manifestPath)).toEqual(readFileSync(first.manifestPath));
    expect((await verifyEvidence(root)).ok).toBe(true);
    expect(shell('sha256sum -c SHA256SUMS', root)).toBe('a.txt: OK\n');
  });
});

describe('links and special files', () => {
  it('records symlink loops, dangling and escaping links without following them', () => {
    symlinkSync('loop-b', join(root, 'loop-a'));
    symlinkSync('loop-a', join(root, 'loop-b'));
    symlinkSync('self', join(root, 'self'));
    symlinkSync('nowhere/at/all', join(root, 'dangling'));
    symlinkSync('../../../../etc/passwd', join(root, 'escaping'));
    symlinkSync('/etc', join(root, 'outside-dir'));
    symlinkSync('.', join(root, 'dot'));
    const entries = collectEntries(root);
    expect(entries).toEqual([
      { path: 'dangling', type: 'symlink', exec: false, size: 0, linkTarget: 'nowhere/at/all' },
      { path: 'dot', type: 'symlink', exec: false, size: 0, linkTarget: '.' },
      {
        path: 'escaping',
        type: 'symlink',
        exec: false,
        size: 0,
        linkTarget: '../../../../etc/passwd',
      },
      { path: 'loop-a', type: 'symlink', exec: false, size: 0, linkTarget: 'loop-b' },
      { path: 'loop-b', type: 'symlink', exec: false, size: 0, linkTarget: 'loop-a' },
      { path: 'outside-dir', type: 'symlink', exec: false, size: 0, linkTarget: '/etc' },
      { path: 'self', type: 'symlink', exec: false, size: 0, linkTarget: 'self' },
    ]);
  });

  it('records a FIFO as other without opening it (no writer: an open would block)', async () => {
    shell('mkfifo pipe', root);
    writeFileSync(join(root, 'after'), 'x');
    const expected = [
      { path: 'after', type: 'file', exec: false, size: 1, sha256: sha256('x') },
      { path: 'pipe', type: 'other', exec: false, size: 0 },
    ];
    expect(collectEntries(root)).toEqual(expected);
    expect(await collectEntriesAsync(root, { concurrency: 2, poolThresholdBytes: 0 })).toEqual(
      expected,
    );
  });
});

describe('files that cannot be hashed', () => {
  it(`lists an unreadable file and directory as unreadable, not skipped (${isRoot ? 'as nobody via setpriv, since root reads mode 000' : 'mode 000'})`, () => {
    writeFileSync(join(root, 'readable'), 'ok');
    writeFileSync(join(root, 'secret'), 'classified');
    chmodSync(join(root, 'readable'), 0o644);
    chmodSync(join(root, 'secret'), 0o000);
    mkdirSync(join(root, 'locked'));
    writeFileSync(join(root, 'locked', 'inside'), 'x');
    chmodSync(join(root, 'locked'), 0o000);
    const entries = runUnprivileged(
      `process.stdout.write(JSON.stringify(api.collectEntries(${JSON.stringify(root)})));`,
    );
    expect(entries).toEqual([
      { path: 'locked', type: 'dir', exec: false, size: 0, status: 'unreadable' },
      { path: 'readable', type: 'file', exec: false, size: 2, sha256: sha256('ok') },
      { path: 'secret', type: 'file', exec: false, size: 10, status: 'unreadable' },
    ]);
  });

  it('retries a file a writer appends to while it is hashed, then marks it unstable', async () => {
    const growing = join(root, 'growing.log');
    writeFileSync(join(root, 'steady'), 'steady');
    // A sparse 256 MiB head makes each read long enough for the writer to append meanwhile.
    writeFileSync(growing, '');
    truncateSync(growing, 256 * 1024 * 1024);
    const writer = await startAppender(growing);
    try {
      const entries = collectEntries(root, { retries: 1 });
      expect(byPath(entries, 'growing.log')).toMatchObject({ type: 'file', status: 'unstable' });
      expect(byPath(entries, 'growing.log')?.sha256).toBeUndefined();
      expect(byPath(entries, 'steady')).toEqual({
        path: 'steady',
        type: 'file',
        exec: false,
        size: 6,
        sha256: sha256('steady'),
      });
      const pooled = await collectEntriesAsync(root, {
        retries: 1,
        concurrency: 2,
        poolThresholdBytes: 0,
      });
      expect(byPath(pooled, 'growing.log')?.status).toBe('unstable');
    } finally {
      await stop(writer);
    }
  });
});

describe('empty things and determinism', () => {
  it('records an empty file and an empty directory, and sha256sum -c accepts the empty file', () => {
    writeFileSync(join(root, 'empty'), '');
    mkdirSync(join(root, 'empty-dir'));
    const result = writeEvidence(root);
    expect(result.manifest.entries).toEqual([
      {
        path: 'empty',
        type: 'file',
        exec: false,
        size: 0,
        sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
      { path: 'empty-dir', type: 'dir', exec: false, size: 0 },
    ]);
    expect(shell('sha256sum -c evidence/SHA256SUMS', root)).toBe('empty: OK\n');
  });

  it('writes byte-identical documents for the same tree in two places, sync or pooled', async () => {
    for (const [index, name] of oddNames.entries()) writeFileSync(join(root, name), `${index}`);
    mkdirSync(join(root, 'sub'));
    writeFileSync(join(root, 'sub', 'run.sh'), '#!/bin/sh\n');
    chmodSync(join(root, 'sub', 'run.sh'), 0o755);
    symlinkSync('../a.txt', join(root, 'sub', 'link'));
    const twin = tempTree('evidence-twin-');
    cleanup.push(twin);
    cpSync(root, twin, { recursive: true, verbatimSymlinks: true });
    const first = writeEvidence(root);
    const second = await writeEvidenceAsync(twin, { concurrency: 2, poolThresholdBytes: 0 });
    for (const key of ['sumsPath', 'manifestPath', 'statementPath', 'reviewPacketPath'] as const)
      expect(readFileSync(second[key]), key).toEqual(readFileSync(first[key]));
    const again = writeEvidence(root);
    expect(readFileSync(again.manifestPath)).toEqual(readFileSync(first.manifestPath));
  });

  it('reports one flipped bit in one file as modified for exactly that file', async () => {
    for (let index = 0; index < 20; index++)
      writeFileSync(join(root, `file-${index}.bin`), Buffer.alloc(4096, index));
    const result = writeEvidence(root);
    const target = join(root, 'file-7.bin');
    const bytes = readFileSync(target);
    bytes.writeUInt8(bytes.readUInt8(1234) ^ 0b0001_0000, 1234);
    writeFileSync(target, bytes);
    const report = await verifyEvidence(result.manifestPath);
    expect(report.ok).toBe(false);
    expect(
      report.entries
        .filter((entry) => entry.status !== 'ok')
        .map((entry) => [entry.path, entry.status]),
    ).toEqual([['file-7.bin', 'modified']]);
    expect(report.counts.ok).toBe(19);
    expect(report.problems).toEqual([]);
  });
});
