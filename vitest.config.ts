import { defineConfig } from 'vitest/config';

/**
 * Files that load the machine (browsers, many bots, the forwarding benchmark) or measure what load would
 * spoil (packet loss, frames stopping): on 2 cores, two of them side by side starve each other's browsers
 * and media, so they run one at a time, after the rest.
 */
const exclusive = ['client/test/**/*.test.ts', 'loadtest/test/{browser-bots,cli.e2e,token-bots,sim-bots,recorded-media}.test.ts', 'bench/test/**/*.test.ts'];

const shared = {
  pool: 'forks' as const,
  // Real workers and browsers: generous timeouts, but no test is a timing assertion.
  testTimeout: 30_000,
  hookTimeout: 30_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: 'parallel',
          include: ['server/test/**/*.test.ts', 'client/test-node/**/*.test.ts', 'loadtest/test/**/*.test.ts'],
          exclude: exclusive,
          // Real mediasoup workers on 2 cores: two files at a time.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: { ...shared, name: 'exclusive', include: exclusive, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
