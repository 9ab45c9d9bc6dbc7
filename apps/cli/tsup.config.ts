import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';
import { baseOptions } from '../../tsup.base';
import { workspaceSources } from './build/workspace-sources';

// A split bundle: every dependency is bundled; dist/cli.js holds the program
// and each command's flags, and each command's work is a chunk loaded when it
// runs (`import()` in its register), so `runwarden --help` and `status` load
// only what they use. The workspace packages are bundled from their sources,
// each name from the file that declares it (build/workspace-sources.ts).
// CJS dependencies get a `require` for Node's built-ins.
export default defineConfig({
  ...baseOptions,
  entry: { cli: 'src/cli.ts' },
  dts: false,
  noExternal: [/.*/],
  shims: true,
  splitting: true,
  // A smaller file parses faster at every start; NODE_OPTIONS=--enable-source-maps
  // maps a stack trace back to the sources.
  minify: true,
  esbuildPlugins: [
    workspaceSources({ packageJson: fileURLToPath(new URL('./package.json', import.meta.url)) }),
  ],
  banner: {
    js: "import { createRequire as __runwardenCreateRequire } from 'node:module';\nconst require = __runwardenCreateRequire(import.meta.url);",
  },
});
