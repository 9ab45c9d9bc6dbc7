/**
 * The suite does not depend on where the checkout sits: inside a directory
 * only its owner may enter (a home directory of mode 0700), at a long path.
 * The repository is bind-mounted there in a private mount namespace (so the
 * mount never shows outside this test), and the tests that once failed there
 * run from it: the evidence and lock tests that re-run as `nobody`, and the
 * kill table.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

const isRoot = process.getuid?.() === 0;
let base: string;
let checkout: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'runwarden-private-'));
  chmodSync(base, 0o700);
  checkout = join(base, 'a'.repeat(80), 'b'.repeat(80), 'runwarden');
  mkdirSync(checkout, { recursive: true });
});
// The mount lives only in the test's namespace: here the directory is empty.
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Runs vitest on `files` of one package (filtered by `pattern`) from the checkout at its new place. */
async function runThere(packageDir: string, files: string[], pattern: string) {
  const vitest = join(checkout, 'node_modules', 'vitest', 'vitest.mjs');
  const script = `mount --bind "$0" "$1" && cd "$1/${packageDir}" && exec "$2" "$3" run --reporter=verbose -t "$4" ${files.join(' ')}`;
  return execa(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      repoRoot,
      checkout,
      process.execPath,
      vitest,
      pattern,
    ],
    { reject: false, all: true, env: { CI: '1' } },
  );
}

describe.skipIf(!isRoot)(
  'a checkout in a directory only its owner may enter, at a long path (skipped when not root: bind mounts and nobody need root)',
  () => {
    it.each([
      ['packages/evidence-hasher', ['test/pitfalls.test.ts', 'test/verify.test.ts'], 'nobody'],
      ['packages/lock-core', ['test/lock.test.ts'], 'ERR_LOCK_IO'],
      ['packages/kill-tree', ['test/kill-tree.test.ts'], 'EPERM'],
      ['apps/cli', ['test/kill.test.ts'], 'prints what happened to every process'],
    ])('%s: %s, the tests named %s, pass there', async (packageDir, files, pattern) => {
      const result = await runThere(packageDir, files, pattern);
      const output = stripVTControlCharacters(result.all ?? '');
      expect(output).toMatch(/Tests\s+\d+ passed/);
      expect(output).not.toMatch(/\d+ failed/);
      expect(result.exitCode, output).toBe(0);
    });
  },
);
