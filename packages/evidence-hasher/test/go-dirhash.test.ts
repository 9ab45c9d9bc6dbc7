/**
 * The root digest is Go's `h1:`: checked against the real
 * `golang.org/x/mod/sumdb/dirhash` (Debian's golang-golang-x-mod-dev sources),
 * built offline into a 20-line program. Evidence written before (manifest
 * schema version 1, the `./` root) still verifies.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEntries, rootDigest, verifyEvidence, writeEvidence } from '../src/index.js';
import { legacyRootDigest, readEvidence } from '../src/internal.js';

/** Where Debian's golang-golang-x-mod-dev puts the sources. */
const DIRHASH_SOURCE = '/usr/share/gocode/src/golang.org/x/mod/sumdb/dirhash/hash.go';
const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
const hasSource = existsSync(DIRHASH_SOURCE);
const skipReason = !hasGo
  ? ' (skipped: no go; apt install golang-go golang-golang-x-mod-dev)'
  : !hasSource
    ? ` (skipped: no ${DIRHASH_SOURCE}; apt install golang-golang-x-mod-dev)`
    : '';
if (skipReason && process.env.RUNWARDEN_TEST_REQUIRE_GO === '1')
  throw new Error(`RUNWARDEN_TEST_REQUIRE_GO=1 but the Go dirhash test cannot run${skipReason}`);

const MAIN_GO = `package main

import (
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/dirhash"
)

func main() {
	hash, err := dirhash.HashDir(os.Args[1], "", dirhash.Hash1)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(hash)
}
`;

describe.skipIf(skipReason !== '')(`rootDigest against Go's dirhash.HashDir${skipReason}`, () => {
  let work: string;
  let program: string;
  const trees: string[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'go-dirhash-'));
    const vendored = join(work, 'vendor', 'golang.org', 'x', 'mod', 'sumdb', 'dirhash');
    mkdirSync(vendored, { recursive: true });
    copyFileSync(DIRHASH_SOURCE, join(vendored, 'hash.go'));
    writeFileSync(
      join(work, 'vendor', 'modules.txt'),
      '# golang.org/x/mod v0.0.0\n## explicit\ngolang.org/x/mod/sumdb/dirhash\n',
    );
    writeFileSync(
      join(work, 'go.mod'),
      'module runwarden.test/dirhash\n\ngo 1.18\n\nrequire golang.org/x/mod v0.0.0\n',
    );
    writeFileSync(join(work, 'main.go'), MAIN_GO);
    program = join(work, 'dirhash');
    // Offline: the module comes from vendor/, never from a proxy.
    execFileSync('go', ['build', '-o', program, '.'], {
      cwd: work,
      env: {
        ...process.env,
        GOFLAGS: '-mod=vendor',
        GOPROXY: 'off',
        GO111MODULE: 'on',
        GOCACHE: join(work, 'cache'),
        GOPATH: join(work, 'gopath'),
        HOME: work,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }, 120_000);
  afterAll(() => {
    for (const tree of trees) rmSync(tree, { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const goHash = (dir: string) => spawnSync(program, [dir], { encoding: 'utf8' });

  function tree(files: Record<string, string | Buffer>): string {
    const root = mkdtempSync(join(tmpdir(), 'go-dirhash-tree-'));
    trees.push(root);
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    return root;
  }

  it('equals HashDir(dir, "", Hash1) for a tree of regular files: nesting, odd but legal names, sizes', () => {
    const root = tree({
      'a.txt': 'alpha\n',
      'nested/deeper/data.bin': Buffer.from([0, 1, 2, 255]),
      'nested/empty': '',
      'a-b': 'sorts before a/ by bytes',
      'back\\slash.txt': 'Go writes a backslash as it is',
      'carriage\rreturn.txt': 'and a CR',
      'space name.txt': ' ',
      '.hidden': 'dot file',
      'caf\u00E9.txt': 'NFC',
      'cafe\u0301.txt': 'NFD',
      'x-\u{1F600}.txt': 'astral: sorts after U+FF5E by bytes, before it in UTF-16',
      'x-\uFF5E.txt': 'fullwidth tilde',
      'big.bin': Buffer.alloc(3 * 1024 * 1024 + 7, 0x61),
    });
    mkdirSync(join(root, 'an-empty-directory'));
    const go = goHash(root);
    expect(go.status).toBe(0);
    expect(rootDigest(collectEntries(root)).h1).toBe(go.stdout.trim());
    const out = mkdtempSync(join(tmpdir(), 'go-dirhash-out-'));
    trees.push(out);
    expect(writeEvidence(root, { outDir: out }).manifest.rootDigest).toBe(go.stdout.trim());
  });

  it('gives a digest where Go refuses a name with a newline (documented: no Go counterpart)', () => {
    const root = tree({ 'new\nline.txt': 'x', 'plain.txt': 'y' });
    const go = goHash(root);
    expect(go.status).toBe(1);
    expect(go.stderr.trim()).toBe('dirhash: filenames with newlines are not supported');
    expect(rootDigest(collectEntries(root)).h1).toMatch(/^h1:[A-Za-z0-9+/]{43}=$/);
  });
});

describe('evidence written before the Go root (manifest schema version 1)', () => {
  const fixture = join(import.meta.dirname, 'fixtures', 'v1-evidence');

  it('still verifies: its ./ root is recomputed as version 1 says', async () => {
    const documents = await readEvidence(join(fixture, 'evidence'));
    expect(documents.manifest.schemaVersion).toBe(1);
    const report = await verifyEvidence(join(fixture, 'evidence'));
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.rootDigest.actual).toBe(report.rootDigest.recorded);
    const entries = collectEntries(fixture, { exclude: ['evidence'] });
    expect(report.rootDigest.recorded).toBe(legacyRootDigest(entries).h1);
    expect(report.rootDigest.recorded).not.toBe(rootDigest(entries).h1);
  });
});
