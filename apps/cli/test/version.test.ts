/** `runwarden --version` is the installed package's version, read from its package.json. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { cli } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'runwarden-version-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('prints the version of its package.json, here and once the package is released', async () => {
  const own = JSON.parse(readFileSync(join(cli, '..', '..', 'package.json'), 'utf8')).version;
  expect((await execa(process.execPath, [cli, '--version'])).stdout).toBe(own);
  // The same bin and bundle in a package that changesets bumped to 1.4.2.
  for (const folder of ['bin', 'dist'])
    cpSync(join(cli, '..', '..', folder), join(dir, 'runwarden', folder), { recursive: true });
  writeFileSync(
    join(dir, 'runwarden', 'package.json'),
    JSON.stringify({ name: 'runwarden', version: '1.4.2', type: 'module' }),
  );
  const released = await execa(process.execPath, [
    join(dir, 'runwarden', 'bin', 'runwarden.cjs'),
    '-V',
  ]);
  expect(released.stdout).toBe('1.4.2');
});
