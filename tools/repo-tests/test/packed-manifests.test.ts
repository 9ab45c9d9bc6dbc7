/**
 * What `pnpm pack` puts in each published package: no `workspace:` range
 * left, internal dependencies pinned to the version beside them, every bin
 * and export inside the tarball, and the types' own dependencies declared.
 */
import { describe, expect, inject, it } from 'vitest';
import { packedFiles, packedManifest, publishedPackages } from './helpers.js';

const packages = publishedPackages();
const versions = new Map(packages.map((found) => [found.name, found.version]));

/** Every file an `exports` map or a bin names. */
function targetsOf(manifest: Record<string, unknown>): string[] {
  const targets: string[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object')
      for (const inner of Object.values(value)) walk(inner);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  walk(manifest.types);
  return targets.map((target) => target.replace(/^\.\//, ''));
}

describe('packed packages', () => {
  it.each(packages.map((found) => [found.name]))(
    '%s: no workspace: range, internal dependencies at their versions, every export and bin inside',
    (name) => {
      const tarball = inject('tarballs')[name]!;
      const manifest = packedManifest(tarball);
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
      for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
        for (const [dependency, range] of Object.entries(
          (manifest[field] ?? {}) as Record<string, string>,
        )) {
          if (versions.has(dependency))
            expect({ dependency, range }).toEqual({
              dependency,
              range: `^${versions.get(dependency)}`,
            });
        }
      }
      const files = packedFiles(tarball);
      expect(files).toContain('README.md');
      for (const target of targetsOf(manifest)) expect(files).toContain(target);
      expect(files.filter((file) => /(^|\/)(src|test)\//.test(file))).toEqual([]);
    },
  );

  it('declares what its .d.ts imports: @runwarden/coordination-state needs pg and @types/pg', () => {
    const manifest = packedManifest(inject('tarballs')['@runwarden/coordination-state']!);
    expect(Object.keys(manifest.dependencies as Record<string, string>)).toEqual(
      expect.arrayContaining(['pg', '@types/pg', 'zod']),
    );
  });
});
