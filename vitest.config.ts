import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`./packages/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Unit tests run against sources; test/ scenarios load built bundles where they need them.
    alias: [
      { find: /^@tokenward\/core\/(ky|testing)$/, replacement: src('core/src/$1.ts') },
      { find: /^@tokenward\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@tokenward\/browser$/, replacement: src('browser/src/index.ts') },
      { find: /^@tokenward\/node$/, replacement: src('node/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
