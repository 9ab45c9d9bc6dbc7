/**
 * The README's way to put `runwarden` on PATH from a clone, run as written
 * (into a throw-away npm prefix instead of the machine's global one).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { publishedPackages, repoRoot } from './helpers.js';

let prefix: string;
beforeEach(() => {
  prefix = mkdtempSync(join(tmpdir(), 'runwarden-prefix-'));
});
afterEach(() => rmSync(prefix, { recursive: true, force: true }));

it('puts runwarden on PATH as the README says', async () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = /^## Put `runwarden` on your PATH from a clone\n+```sh\n([\s\S]*?)^```$/m.exec(
    readme,
  )?.[1];
  expect(section, 'the README has the section').toBeDefined();
  const lines = section!
    .trim()
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, ''));
  // The first line installs and builds: the build is what this test runs after (pnpm check).
  expect(lines[0]).toBe('npx --yes pnpm@10 install && npx --yes pnpm@10 build');
  const env = { ...process.env, npm_config_prefix: prefix, npm_config_update_notifier: 'false' };
  await execa('sh', ['-c', lines[1]!], { cwd: repoRoot, env });
  const version = publishedPackages().find((found) => found.name === 'runwarden')!.version;
  const onPath = await execa('sh', ['-c', lines[2]!], {
    cwd: tmpdir(),
    env: { ...env, PATH: `${join(prefix, 'bin')}${delimiter}${process.env.PATH}` },
  });
  expect(lines[2]).toBe('runwarden --version');
  expect(onPath.stdout).toBe(version);
});
