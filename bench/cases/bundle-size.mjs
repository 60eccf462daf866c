// 4. Browser bundle size: each entry bundled with all its dependencies by esbuild (platform browser,
// minified), then gzipped at level 9.
import { existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = new URL('../../', import.meta.url).pathname;

/** `source` is either a file (relative to the root) or the contents of an entry module. */
const ENTRIES = [
  { name: '@tokenward/browser (entry)', file: 'packages/browser/src/index.ts', ours: true },
  { name: '@tokenward/core (entry)', file: 'packages/core/src/index.ts', ours: true },
  { name: '@tokenward/core: createSession + createAuthFetch', contents: "export { createSession, createAuthFetch } from './packages/core/src/index.ts';", ours: true },
  { name: '@badgateway/oauth2-client', contents: "export * from '@badgateway/oauth2-client';", fast: true },
  { name: 'oidc-client-ts', contents: "export * from 'oidc-client-ts';" },
  { name: '@supabase/auth-js (GoTrueClient)', contents: "export { GoTrueClient } from '@supabase/auth-js';" },
  { name: '@auth0/auth0-spa-js', contents: "export * from '@auth0/auth0-spa-js';" },
  { name: '@okta/okta-auth-js', contents: "export * from '@okta/okta-auth-js';" },
];

async function measure(entry) {
  const input = entry.file
    ? { entryPoints: [`${ROOT}${entry.file}`] }
    : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' } };
  const result = await build({
    ...input,
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    // Our sources import each other by package name: map those to the sources, as the IDE does.
    tsconfig: `${ROOT}tsconfig.json`,
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  // Where the bytes come from (minified, before gzip), largest first.
  const inputs = Object.entries(Object.values(result.metafile.outputs)[0].inputs)
    .map(([path, { bytesInOutput }]) => ({ path: path.replace(/^.*node_modules\//, ''), bytes: bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
  return { minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, inputs };
}

export async function run({ smoke, log }) {
  const results = {};
  for (const entry of ENTRIES) {
    if (smoke && !entry.ours && !entry.fast) continue;
    if (entry.file && !existsSync(`${ROOT}${entry.file}`)) {
      results[entry.name] = { status: 'not built yet' };
      log(`  ${entry.name.padEnd(50)} not built yet (${entry.file} does not exist)`);
      continue;
    }
    const size = await measure(entry);
    results[entry.name] = { ours: Boolean(entry.ours), ...size };
    log(`  ${entry.name.padEnd(50)} ${(size.gzipBytes / 1000).toFixed(1)} kB min+gzip (${(size.minifiedBytes / 1000).toFixed(1)} kB min)`);
  }
  return { entries: results };
}
