#!/usr/bin/env node
// The `runwarden` command. It is a file of the repository (not of the build),
// so `pnpm install` can link it on a fresh clone before `dist/` is built.
//
// It runs the one-file bundle dist/cli.cjs through V8's code cache, kept per
// command and install in a private directory (src/code-cache.ts writes it):
// V8's compiled code of everything the command ran, made after the run, so the
// next start of that command compiles almost nothing. A cache is used only when
// the bundle it holds is byte for byte the bundle here (V8 itself checks only
// the length), when it is ours (owner, mode 0600, in a 0700 directory, never
// through a symlink), and when V8 accepts it. It is a cache: deleting it is
// always safe. NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch) turns it off,
// and so does --enable-source-maps (Node maps no stack through vm.Script), as
// does Windows, where the owner checks cannot be made: then the bundle is
// simply required.
'use strict';
const { join } = require('node:path');

const bundle = join(__dirname, '..', 'dist', 'cli.cjs');

/** Runs the CLI's `main` and sets the exit code; `then` runs after, with the exit code set. */
function run(cli, then) {
  cli.main().then((code) => {
    process.exitCode = code;
    then?.();
  });
}

/** The cache directory of this Node.js, or undefined where none is kept. */
function cacheDirectory() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === '1' || process.sourceMapsEnabled) return undefined;
  if (typeof process.getuid !== 'function') return undefined;
  const home = process.env.XDG_CACHE_HOME || join(require('node:os').homedir(), '.cache');
  return join(home, 'runwarden', `v8-${process.version}-${process.arch}`);
}

/** FNV-1a (32 bits) of a text, in hex: tells two installs apart in a file name. */
function fnv1a(text) {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++)
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** The V8 data of the cache file, when it is ours and holds this very bundle (`source`). */
function readCache(directory, file, source) {
  const { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } = require('node:fs');
  let fd;
  try {
    const uid = process.getuid();
    const folder = lstatSync(directory);
    if (!folder.isDirectory() || folder.uid !== uid || (folder.mode & 0o077) !== 0)
      return undefined;
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.uid !== uid || (stat.mode & 0o077) !== 0) return undefined;
    const content = readFileSync(fd);
    // The layout (src/code-cache.ts): "RWV8", the bundle's length, the bundle, then V8's data.
    if (content.length < 8 || content.toString('latin1', 0, 4) !== 'RWV8') return undefined;
    const length = content.readUInt32LE(4);
    if (length !== source.length || content.length <= 8 + length) return undefined;
    if (!content.subarray(8, 8 + length).equals(source)) return undefined;
    return content.subarray(8 + length);
  } catch {
    return undefined; // no cache yet, or one we cannot read: compile as usual
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const directory = cacheDirectory();
if (directory === undefined) {
  run(require(bundle));
} else {
  const { readFileSync } = require('node:fs');
  const { createRequire, wrap } = require('node:module');
  const { Script } = require('node:vm');
  // The key of a command's cache: its name as typed (`status`, `ls`), `program` for the rest.
  const argument = process.argv[2];
  const key = /^[a-z][a-z-]{0,31}$/.test(argument ?? '') ? argument : 'program';
  // One file per command and install, so two installs (a global one, a project's) never evict each other.
  const file = join(directory, `${key}-${fnv1a(bundle)}.v8`);
  const source = readFileSync(bundle);
  const cachedData = readCache(directory, file, source);
  const script = new Script(wrap(source.toString('utf8')), { filename: bundle, cachedData });
  const cli = { exports: {} };
  script.runInThisContext()(cli.exports, createRequire(bundle), cli, bundle, join(bundle, '..'));
  run(cli.exports, () => {
    if (cachedData === undefined || script.cachedDataRejected)
      return cli.exports.saveCodeCache({ file, key, source, data: script.createCachedData() });
  });
}
