import { defineConfig } from 'tsup';
import { baseOptions } from '../../tsup.base';

// One runnable file: every dependency is bundled; CJS dependencies get a
// `require` for Node's built-ins.
export default defineConfig({
  ...baseOptions,
  entry: { cli: 'src/cli.ts' },
  dts: false,
  noExternal: [/.*/],
  shims: true,
  banner: {
    js: "import { createRequire as __runwardenCreateRequire } from 'node:module';\nconst require = __runwardenCreateRequire(import.meta.url);",
  },
});
