import { defineConfig } from 'vitest/config';

// One config for the whole repo. Files run one at a time: integration files start real engines
// (once per file), and two engines at once on a 2-core machine only make both slower.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '.run/**', '.tmp/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
