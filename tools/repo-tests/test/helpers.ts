/**
 * What the repository tests share: the workspace's packages, scratch npm
 * projects outside the repository, and the tools they run (npm, the
 * repository's own tsc).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

/** The repository's root. */
export const repoRoot = resolve(import.meta.dirname, '..', '..', '..');

/** The repository's TypeScript compiler (a consumer's `tsc`). */
export const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

/**
 * A consumer's strict `tsc` over `files` in a scratch project: `--strict`,
 * Node.js ESM resolution (`nodenext`), `@types/node`, and no `skipLibCheck`
 * (so a package's `.d.ts` that imports an undeclared module fails).
 *
 * @param project - the project's directory (tsc's cwd).
 * @param files - the files, relative to it or absolute.
 * @param options.emit - also write the `.js` files. @default false
 * @param options.javascript - check `.js`/`.mjs` files too (`--allowJs --checkJs`). @default false
 * @returns what tsc printed (empty when it is content) and its exit code.
 */
export async function strictTsc(
  project: string,
  files: string[],
  options: { emit?: boolean; javascript?: boolean } = {},
): Promise<{ output: string; exitCode: number | undefined }> {
  const result = await execa(
    process.execPath,
    [
      tsc,
      ...(options.emit ? [] : ['--noEmit']),
      '--strict',
      ...(options.javascript ? ['--allowJs', '--checkJs'] : []),
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--types',
      'node',
      ...files,
    ],
    { cwd: project, reject: false, all: true },
  );
  return { output: result.all ?? '', exitCode: result.exitCode };
}

/** A package of the workspace, from its `package.json`. */
export interface WorkspacePackage {
  name: string;
  /** Absolute directory. */
  dir: string;
  private: boolean;
  version: string;
  bin: Record<string, string>;
  /** The workspace packages it depends on at run time (`dependencies`). */
  internalDependencies: string[];
}

/** Every workspace package (`packages/*`, `apps/*`, `tools/*`). */
export function workspacePackages(): WorkspacePackage[] {
  const found: WorkspacePackage[] = [];
  for (const group of ['packages', 'apps', 'tools']) {
    for (const entry of readdirSync(join(repoRoot, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(repoRoot, group, entry.name);
      let manifest: Record<string, unknown>;
      try {
        manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      } catch {
        continue; // not a package (tools/demo)
      }
      const dependencies = (manifest.dependencies ?? {}) as Record<string, string>;
      const bin = manifest.bin;
      found.push({
        name: String(manifest.name),
        dir,
        private: manifest.private === true,
        version: String(manifest.version),
        bin:
          typeof bin === 'string'
            ? { [String(manifest.name)]: bin }
            : ((bin ?? {}) as Record<string, string>),
        internalDependencies: Object.entries(dependencies)
          .filter(([, range]) => range.startsWith('workspace:'))
          .map(([name]) => name),
      });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The packages that are published (not private). */
export const publishedPackages = () => workspacePackages().filter((found) => !found.private);

/** The published packages that need no other runwarden package (DESIGN.md's leaves, and the bundled CLI). */
export const leafPackages = () =>
  publishedPackages().filter((found) => found.internalDependencies.length === 0);

/**
 * An empty npm project in the temp directory (outside the repository, so
 * nothing resolves from the workspace's `node_modules`).
 *
 * @param prefix - the directory name's start.
 * @returns its directory.
 */
export function scratchProject(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `runwarden-${prefix}-`));
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  return dir;
}

/** `@types/node` of the Node.js runwarden supports, for consumers' `tsc` (the root's own range). */
export const typesNode = `@types/node@${
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).devDependencies['@types/node']
}`;

/**
 * `npm install` in a scratch project, from npm's cache when it has what is
 * asked (`--prefer-offline`: no registry round trip for a cached package).
 *
 * npm asks the registry for the packument of each `@runwarden/*` dependency
 * even when its tarball is on the command line; runwarden is not published,
 * and this machine's registry proxy answers those requests with a
 * certificate error that npm retries with backoff (minutes per install). So
 * the `@runwarden` scope points at a local registry that answers 404 at
 * once, as the public registry would, and npm takes the tarballs.
 *
 * @param project - the project's directory.
 * @param specs - tarballs and `name@range`s.
 * @returns npm's output (stdout and stderr interleaved).
 * @throws the execa error (with npm's output) when the install fails.
 */
export async function npmInstall(project: string, specs: string[]): Promise<string> {
  const unpublished = createServer((_request, response) => {
    response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
  });
  unpublished.listen(0, '127.0.0.1');
  await once(unpublished, 'listening');
  const { port } = unpublished.address() as AddressInfo;
  try {
    const result = await execa(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=warn',
        `--@runwarden:registry=http://127.0.0.1:${port}/`,
        ...specs,
      ],
      { cwd: project, all: true, env: { npm_config_update_notifier: 'false' } },
    );
    return result.all ?? '';
  } finally {
    unpublished.closeAllConnections();
    unpublished.close();
  }
}

/**
 * The `package.json` inside a packed tarball.
 *
 * @param tarball - the `.tgz`.
 * @returns its manifest.
 */
export function packedManifest(tarball: string): Record<string, unknown> {
  return JSON.parse(
    execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }),
  );
}

/** The files inside a packed tarball, without the `package/` prefix. */
export function packedFiles(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.replace(/^package\//, ''))
    .sort();
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Package name → its tarball, packed once by `pnpm pack` (test/global-setup.ts). */
    tarballs: Record<string, string>;
  }
}
