// The README's troubleshooting table quotes error messages: each quoted part must still be what the
// code says (in its source or in the test that asserts it), so the table cannot drift from the code.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');
const table = readme.slice(readme.indexOf('## Troubleshooting'), readme.indexOf('## Security'));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}
const code = files(`${root}packages`).map((path) => readFileSync(path, 'utf8')).join('\n');

/** The quoted messages of each row's first cell, cut into the literal parts around "…". */
const quoted = table
  .split('\n')
  .filter((line) => line.startsWith('| `ERR_'))
  .flatMap((line) => [...line.split('|')[1]!.matchAll(/"([^"]*(?:"[^"|]*"\))?[^"]*)"/g)].map((m) => m[1]!))
  .flatMap((message) => message.split('…').map((part) => part.replace(/^[:\s]+|[:\s]+$/g, '')).filter((part) => part.length > 6));

describe('README troubleshooting', () => {
  it('quotes messages', () => {
    expect(quoted.length).toBeGreaterThanOrEqual(10);
  });

  it.each(quoted)('quotes %j as the code has it', (part) => {
    expect(code).toContain(part);
  });
});
