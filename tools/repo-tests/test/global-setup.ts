/**
 * vitest globalSetup: packs every published package once with `pnpm pack`
 * (which turns `workspace:` ranges into versions, as `pnpm publish` and
 * changesets do) into a temp directory the test files share, and removes it
 * at the end. The packages must be built first (`pnpm build`; `pnpm check`
 * builds before it tests).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { TestProject } from 'vitest/node';
import { packedManifest, publishedPackages, repoRoot } from './helpers.js';

export default async function setup(project: TestProject) {
  const packages = publishedPackages();
  const unbuilt = packages.filter((found) => !existsSync(join(found.dir, 'dist')));
  if (unbuilt.length > 0)
    throw new Error(
      `build first (pnpm build): no dist/ in ${unbuilt.map((found) => found.name).join(', ')}`,
    );
  const destination = mkdtempSync(join(tmpdir(), 'runwarden-packs-'));
  await execa(
    'pnpm',
    [
      '--recursive',
      ...packages.flatMap((found) => ['--filter', found.name]),
      'pack',
      '--pack-destination',
      destination,
    ],
    { cwd: repoRoot },
  );
  const tarballs: Record<string, string> = {};
  for (const file of readdirSync(destination)) {
    const tarball = join(destination, file);
    tarballs[String(packedManifest(tarball).name)] = tarball;
  }
  const missing = packages.filter((found) => !tarballs[found.name]);
  if (missing.length > 0)
    throw new Error(
      `pnpm pack made no tarball for ${missing.map((found) => found.name).join(', ')}`,
    );
  project.provide('tarballs', tarballs);
  return () => rmSync(destination, { recursive: true, force: true });
}
