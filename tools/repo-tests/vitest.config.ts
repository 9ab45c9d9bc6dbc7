import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config';

// Every published package is packed once for all test files (test/global-setup.ts).
// npm installs, a PostgreSQL cluster and tsc runs in the hooks: minutes on a
// loaded two-core machine, not the 60 s the unit tests get.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      globalSetup: ['./test/global-setup.ts'],
      testTimeout: 300_000,
      hookTimeout: 300_000,
      // One file at a time: their npm installs share one npm cache and would
      // otherwise contend for it (and for two cores) at once.
      fileParallelism: false,
    },
  }),
);
