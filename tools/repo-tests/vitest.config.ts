import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config';

// Every published package is packed once for all test files (test/global-setup.ts).
export default mergeConfig(
  base,
  defineConfig({ test: { globalSetup: ['./test/global-setup.ts'], testTimeout: 300_000 } }),
);
