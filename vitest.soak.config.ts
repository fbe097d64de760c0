/**
 * `npm run soak`: the reliability suites at full size (SOAK=1 scales their
 * counts: 1,000+ reconnects per event log, 16 crash points, 20,000 fuzz
 * cases per backend, 1,000 runs over about a minute). `npm test` runs the
 * same files small.
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// Spread, not mergeConfig: mergeConfig would append to the base's `include` and run every test.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/reconnect-storm.test.ts', 'test/crash.test.ts', 'test/fuzz.test.ts', 'test/soak.test.ts'],
    env: { SOAK: '1' },
    maxWorkers: 1,
    testTimeout: 900_000,
    hookTimeout: 120_000,
  },
});
