import { defineConfig } from 'tsup';
import { baseOptions } from '../../tsup.base';

// Peers stay in node_modules (bundling CommonJS peers into ESM breaks their require calls).
export default defineConfig({
  ...baseOptions,
  entry: { bench: 'src/bench.ts' },
  dts: false,
  skipNodeModulesBundle: true,
  // The shared test helpers are TypeScript sources, never built: bundle them.
  noExternal: ['@runwarden/test-utils'],
});
