import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

/** Suites that load the machine or measure time on it. */
const scenarios = [
  'test/**/*.test.ts',
  'packages/node/test/{traffic,outage,process-exit}.test.ts',
  'packages/browser/test/create-tab-coordinator.test.ts',
  'packages/redis/test/{fleet,failover,upstream-refresh}.test.ts',
];

export default defineConfig({
  resolve: {
    // Unit tests run against sources; test/ scenarios load built bundles where they need them.
    alias: [
      { find: /^@tokenward\/core\/(ky|axios|internal|machine|otel|testing|dpop)$/, replacement: src('core/src/$1.ts') },
      { find: /^@tokenward\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@tokenward\/browser\/dpop$/, replacement: src('browser/src/dpop.ts') },
      { find: /^@tokenward\/browser$/, replacement: src('browser/src/index.ts') },
      { find: /^@tokenward\/node$/, replacement: src('node/src/index.ts') },
      { find: /^@tokenward\/server\/(conformance|otel)$/, replacement: src('server/src/$1.ts') },
      { find: /^@tokenward\/server$/, replacement: src('server/src/index.ts') },
      { find: /^@tokenward\/react$/, replacement: src('react/src/index.ts') },
      { find: /^@tokenward\/redis$/, replacement: src('redis/src/index.ts') },
    ],
  },
  test: {
    testTimeout: 30_000,
    setupFiles: ['test/setup/fast-check-seed.ts'],
    hookTimeout: 60_000,
    // The JSON report lets CI print one plain closing line (see .ci/run).
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/test/**/*.test.{ts,tsx}', 'examples/*/test/**/*.test.ts'],
          exclude: scenarios,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Real Chromium, soaks, continuous traffic and timing-sensitive coordination: one file at a
        // time, after the unit tests, so no suite's load skews another's clocks.
        extends: true,
        test: { name: 'scenarios', include: scenarios, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
