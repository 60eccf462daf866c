import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Builds the test page into a fresh directory: `@tokenward/browser` bundled from source into an IIFE
 * that exposes `window.tokenward`, the page script, and `index.html` loading both.
 */
export async function buildTestPage(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-e2e-'));
  await build({
    entryPoints: [join(root, 'packages/browser/src/index.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'tokenward',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'inline',
    outfile: join(dir, 'tokenward.js'),
    absWorkingDir: root,
    tsconfig: join(root, 'tsconfig.json'),
    logLevel: 'silent',
  });
  copyFileSync(fileURLToPath(new URL('../fixtures/app.js', import.meta.url)), join(dir, 'app.js'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>tokenward e2e</title><script src="/tokenward.js"></script><script src="/app.js"></script>\n');
  return dir;
}
