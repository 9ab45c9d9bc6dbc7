import { defineConfig } from 'tsup';
import { baseOptions } from '../../tsup.base';

export default defineConfig({
  ...baseOptions,
  entry: ['src/index.ts', 'src/internal.ts'],
  // Shared chunks: both entries use one copy of each module, and the manifest
  // schema (zod) stays a chunk of its own, loaded only when a manifest is read.
  splitting: true,
});
