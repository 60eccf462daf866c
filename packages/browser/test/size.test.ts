import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const src = fileURLToPath(new URL('../src/', import.meta.url));
// Held with scripts/size.mjs: 12.42 kB until the cross-tab rebuild ships only the native channel.
const BUDGET = 12.42 * 1024;

/** The entry as an app would ship it: bundled with every dependency, minified. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [`${src}index.ts`],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    absWorkingDir: root,
    tsconfig: `${root}tsconfig.json`,
  });
  return result.outputFiles[0]!.text;
}

describe('@tokenward/browser bundle', () => {
  it(`is at most ${BUDGET} bytes minified and gzipped, with all its dependencies`, async () => {
    const gzip = gzipSync(await bundle(), { level: 9 }).length;
    console.log(`@tokenward/browser: ${gzip} bytes min+gzip (budget ${BUDGET})`);
    expect(gzip).toBeLessThanOrEqual(BUDGET);
  });

  it('never touches web storage, IndexedDB, cookies for writing, or unload events in its own code', () => {
    for (const file of readdirSync(src)) {
      const code = readFileSync(`${src}${file}`, 'utf8').replace(/\/\*\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/localStorage|sessionStorage|indexedDB|document\.cookie\s*=|['"](before)?unload['"]|pagehide/);
    }
  });

  it('keeps the storage fallbacks of broadcast-channel unreachable: the native method is chosen by name', async () => {
    const code = await bundle();
    // broadcast-channel's method list still ships its IndexedDB and localStorage fallbacks, but they
    // only run when chosen; the coordinator always asks for `native` (see create-tab-coordinator.ts).
    expect(readFileSync(`${src}create-tab-coordinator.ts`, 'utf8')).toMatch(/type: options\.type \?\? 'native'/);
    // Leader election (the only user of the `unload` package, which adds `beforeunload`) is tree-shaken away.
    expect(code).not.toMatch(/beforeunload|navigator\.locks/);
  });
});
