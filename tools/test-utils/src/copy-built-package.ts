import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A copy of a built package that any user can import. */
export interface BuiltPackageCopy {
  /** The copy's root (world-readable, in the temp directory). */
  dir: string;
  /** The copy's entry file (its `dist/index.js`), to `import()` by path. */
  entry: string;
  /** Removes the copy. */
  remove(): void;
}

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  files?: string[];
}

const readManifest = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/**
 * Copies a file or a tree (following symlinks, leaving out `node_modules`),
 * as hard links where it can (the same inode and its mode: cheap for
 * pnpm's store), else as copies.
 */
function linkOrCopy(from: string, to: string): void {
  const stat = statSync(from);
  if (stat.isDirectory()) {
    mkdirSync(to, { recursive: true, mode: 0o755 });
    for (const name of readdirSync(from)) {
      if (name !== 'node_modules') linkOrCopy(join(from, name), join(to, name));
    }
    return;
  }
  if (!stat.isFile()) return;
  mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
  const source = lstatSync(from).isSymbolicLink() ? realpathSync(from) : from;
  try {
    linkSync(source, to);
  } catch {
    copyFileSync(source, to);
  }
}

/** The real directory of `name` as Node.js resolves it from `fromDir` (walking up its `node_modules`). */
function resolvePackageDir(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) throw new Error(`cannot find ${name} from ${fromDir}`);
  }
}

/**
 * Copies a built package (its `package.json` and the files it publishes) and
 * every package it needs at run time, flattened into one `node_modules` in a
 * fresh world-readable temp directory. A test that runs the package as
 * another user (`nobody`, through `setpriv` or `spawn({ uid })`) imports the
 * copy, so it passes even when the checkout sits in a directory only its
 * owner may enter (a home directory of mode 0700).
 *
 * @param packageDir - the package's directory (built: `dist/` is copied).
 * @returns the copy; `remove()` it when done.
 * @throws {Error} when the package is not built or a dependency cannot be found.
 */
export function copyBuiltPackage(packageDir: string): BuiltPackageCopy {
  const root = mkdtempSync(join(tmpdir(), 'runwarden-readable-'));
  chmodSync(root, 0o755);
  const modules = join(root, 'node_modules');
  const copied = new Set<string>();
  const copy = (sourceDir: string) => {
    const manifest = readManifest(sourceDir);
    if (copied.has(manifest.name)) return;
    copied.add(manifest.name);
    const target = join(modules, manifest.name);
    // A workspace package: what it publishes (built). An installed one: all of it but its node_modules.
    const workspace = !sourceDir.split('/').includes('node_modules');
    const entries = workspace ? ['package.json', ...(manifest.files ?? ['dist'])] : ['.'];
    for (const entry of entries) {
      const from = join(sourceDir, entry);
      if (!existsSync(from)) {
        if (workspace) throw new Error(`${from} is missing: run pnpm build first`);
        continue;
      }
      linkOrCopy(from, join(target, entry));
    }
    for (const name of Object.keys({
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
    })) {
      copy(resolvePackageDir(name, sourceDir));
    }
  };
  copy(realpathSync(packageDir));
  const entry = join(modules, readManifest(packageDir).name, 'dist', 'index.js');
  return { dir: root, entry, remove: () => rmSync(root, { recursive: true, force: true }) };
}
