import { defineConfig } from 'vitest/config';

/**
 * The one vitest configuration. Each package's `vitest.config.ts` re-exports
 * it, so `vitest run` inside a package picks up the package's own tests.
 * Tests that spawn real processes live in `test/` (skipped by `test:fast`).
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    clearMocks: true,
    restoreMocks: true,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
