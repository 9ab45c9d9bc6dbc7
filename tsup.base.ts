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
