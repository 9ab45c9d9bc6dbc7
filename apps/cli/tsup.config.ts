import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';
import { appBundleOptions } from '../../tsup.base';
import { lazyChildProcess } from './build/lazy-child-process';
import { workspaceSources } from './build/workspace-sources';

// A split bundle (see appBundleOptions for the rest): dist/cli.js holds the
// program and each command's flags, and each command's work is a chunk loaded
// when it runs (`import()` in its register), so `runwarden --help` and
// `status` load only what they use. The workspace packages are bundled from
// their sources, each name from the file that declares it
// (build/workspace-sources.ts), and commander's node:child_process loads only
// if commander spawns (build/lazy-child-process.ts).
export default defineConfig({
  ...appBundleOptions,
  splitting: true,
  // Keep `node:` in built-in names, so lazyChildProcess sees commander's `node:child_process`.
  removeNodeProtocol: false,
  esbuildPlugins: [
    workspaceSources({ packageJson: fileURLToPath(new URL('./package.json', import.meta.url)) }),
    lazyChildProcess(),
  ],
});
