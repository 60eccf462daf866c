import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const src = fileURLToPath(new URL('../src/', import.meta.url));
// The limit scripts/size.mjs enforces on the built package: its 10 kB target.
const BUDGET = 10 * 1024;

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
    for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))) {
      const code = readFileSync(`${src}${file}`, 'utf8').replace(/\/\*\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      // The one exception, in its own entry (@tokenward/browser/dpop): DPoP key handles in IndexedDB, never key material.
      const indexedDB = file === 'load-dpop-key-pair.ts' ? '' : '|indexedDB';
      expect(code, file).not.toMatch(new RegExp(`localStorage|sessionStorage${indexedDB}|document\\.cookie\\s*=|['"](before)?unload['"]|pagehide`));
    }
  });

  it('ships no storage-based message bus: tabs talk over the platform BroadcastChannel, and lock with Web Locks', async () => {
    const code = await bundle();
    // broadcast-channel could not be cut down to its native method (its method chooser imports the
    // IndexedDB and localStorage ones); the bus is the platform's BroadcastChannel behind a small port.
    expect(code).not.toMatch(/indexedDB|localStorage|beforeunload/);
    expect(code).toMatch(/new BroadcastChannel\(/);
    expect(code).toMatch(/navigator\b[^;]*\.locks/);
  });
});
