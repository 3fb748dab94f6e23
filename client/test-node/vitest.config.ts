// Runs the Node-side client tests: npx vitest run --config client/test-node/vitest.config.ts
// (The root vitest.config.ts only includes client/test/**, which is for browser tests.)
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['client/test-node/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
