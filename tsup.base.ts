import type { Options } from 'tsup';

/**
 * Shared tsup options for every runwarden package: one ESM entry with its
 * `.d.ts`, targeting the lowest supported Node.js (20.19).
 */
export const baseOptions: Options = {
  entry: ['src/index.ts'],
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: false,
  treeshake: true,
};

/**
 * Shared tsup options for the two command lines (runwarden,
 * runwarden-supervisor): one runnable `dist/cli.js` with every dependency
 * bundled, minified (a smaller file parses faster at every start;
 * NODE_OPTIONS=--enable-source-maps maps a stack trace back to the sources),
 * and a `require` for the built-ins of bundled CJS dependencies. The
 * runwarden CLI overrides the format: one CommonJS `dist/cli.cjs` that its bin
 * starts through V8's code cache (apps/cli/tsup.config.ts).
 */
export const appBundleOptions: Options = {
  ...baseOptions,
  entry: { cli: 'src/cli.ts' },
  dts: false,
  noExternal: [/.*/],
  shims: true,
  minify: true,
  banner: {
    js: "import { createRequire as __runwardenCreateRequire } from 'node:module';\nconst require = __runwardenCreateRequire(import.meta.url);",
  },
};
