// SECURITY.md ties every claim to a test: `file` › *test name*. This keeps the ties real: each
// cited file exists and declares a test of that name, so a renamed or deleted test breaks CI
// instead of leaving a claim without its proof.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const text = readFileSync(`${root}SECURITY.md`, 'utf8');

/** Every (files, name) citation: the files named on a line, the italic names after its `›`. */
const citations = text
  .split('\n')
  .flatMap((line) => line.split(/;\s+(?=`)/))
  .flatMap((part) => {
    const arrow = part.indexOf('›');
    if (arrow < 0) return [];
    // Test files, and the store conformance suite that other packages' tests run.
    const files = [...part.slice(0, arrow).matchAll(/`([\w./-]+(?:\.test|\/conformance)\.ts)`/g)].map((m) => m[1]!);
    const names = [...part.slice(arrow).matchAll(/\*([^*]+)\*/g)].map((m) => m[1]!.trim());
    return files.length ? names.map((name) => ({ files, name })) : [];
  });

describe('SECURITY.md', () => {
  it('cites tests for its claims', () => {
    expect(citations.length).toBeGreaterThan(60);
  });

  it.each(citations.map((c) => [c.name, c.files]))('cites a real test: %s', (name, files) => {
    for (const file of files as string[]) expect(existsSync(`${root}${file}`), file).toBe(true);
    const declared = (files as string[]).some((file) => readFileSync(`${root}${file}`, 'utf8').includes(name as string));
    expect(declared, `${String(name)} in ${(files as string[]).join(', ')}`).toBe(true);
  });
});
