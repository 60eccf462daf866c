// @opentelemetry/api is an optional peer: only the otel entries may load it, so that an app without
// it (or without instrumentation) never pays for it. Read from the built bundles and their chunks.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Every module specifier `file` imports, following the package's own chunks. */
function importsOf(dir: string, file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(`${dir}/${file}`, 'utf8');
  for (const [, specifier] of code.matchAll(/(?:from|import)\s*['"]([^'"]+)['"]/g)) {
    if (specifier!.startsWith('./')) importsOf(dir, specifier!.slice(2), seen);
    else seen.add(specifier!);
  }
  return seen;
}

describe('the otel entries', () => {
  it.each(['core', 'server'])('@tokenward/%s: only its otel entry imports @opentelemetry/api', (name) => {
    const dir = `${root}packages/${name}/dist`;
    expect(readdirSync(dir)).toContain('otel.js');
    expect([...importsOf(dir, 'index.js')].filter((s) => s.includes('opentelemetry'))).toEqual([]);
    expect([...importsOf(dir, 'otel.js')]).toContain('@opentelemetry/api');
  });
});
