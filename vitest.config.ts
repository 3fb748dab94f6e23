import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/test/**/*.test.ts', 'client/test/**/*.test.ts', 'client/test-node/**/*.test.ts', 'loadtest/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    pool: 'forks',
    // Real workers and browsers: generous timeouts, but no test is a timing assertion.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The tests talk to real mediasoup workers and (later) Chromium on 2 cores: two files at a time.
    maxWorkers: 2,
  },
});
