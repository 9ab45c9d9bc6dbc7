import { defineConfig } from 'tsup';
import { baseOptions } from '../../tsup.base';

// Two entries share their modules through chunks (one copy of each class and module state).
export default defineConfig({
  ...baseOptions,
  entry: ['src/index.ts', 'src/internal.ts'],
  splitting: true,
});
