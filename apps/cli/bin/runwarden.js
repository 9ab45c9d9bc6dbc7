#!/usr/bin/env node
// The `runwarden` command. It is a file of the repository (not of the build),
// so `pnpm install` can link it on a fresh clone before `dist/` is built.
import module from 'node:module';

// Node's module compile cache (Node >= 22.1; the call is absent, and skipped,
// on Node 20): V8's compiled code of dist/ is kept in $NODE_COMPILE_CACHE, else
// <os.tmpdir()>/node-compile-cache, so later starts skip compiling it. It is a
// cache: deleting the directory is always safe; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();

const { main } = await import('../dist/cli.js');
process.exitCode = await main();
