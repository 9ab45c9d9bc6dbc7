import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';
import { appBundleOptions } from '../../tsup.base';
import { lazyChildProcess } from './build/lazy-child-process';
import { workspaceSources } from './build/workspace-sources';

// One CommonJS file, dist/cli.cjs, that bin/runwarden.cjs compiles through
// V8's code cache (see the bin and src/code-cache.ts): ESM would need Node's
// ESM loader, whose modules V8 cannot be handed a code cache for on Node 20.
// Each command's work is still an `import()` in its register, which esbuild
// turns into a function that evaluates that code when the command runs. The
// workspace packages are bundled from their sources, each name from the file
// that declares it (build/workspace-sources.ts), and commander's
// node:child_process loads only if commander spawns (build/lazy-child-process.ts).
export default defineConfig({
  ...appBundleOptions,
  format: ['cjs'],
  splitting: false,
  // esbuild's own tree shaking: tsup's rollup pass (treeshake: true) would hoist every
  // built-in's require to the top, so each start would load child_process, crypto, vm….
  treeshake: false,
  // CommonJS has its own `require`: no banner.
  banner: {},
  // Keep `node:` in built-in names, so lazyChildProcess sees commander's `node:child_process`.
  removeNodeProtocol: false,
  esbuildPlugins: [
    workspaceSources({ packageJson: fileURLToPath(new URL('./package.json', import.meta.url)) }),
    lazyChildProcess(),
  ],
});
