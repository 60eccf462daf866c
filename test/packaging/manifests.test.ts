// What every published package declares: the Node versions it runs on, ranges (not pins) for its
// dependencies so adopters' trees share one jose, its licence, and how to install it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const packages = readdirSync(`${root}packages`).filter((name) => existsSync(`${root}packages/${name}/package.json`));

describe.each(packages)('@tokenward/%s', (dir) => {
  const pkg = JSON.parse(readFileSync(`${root}packages/${dir}/package.json`, 'utf8')) as {
    name: string;
    engines?: { node?: string };
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    license?: string;
  };

  it('runs on Node 20.19 or later, where require() loads ES modules', () => {
    expect(pkg.engines?.node).toBe('>=20.19');
  });

  it('declares its dependencies as caret ranges, never exact pins', () => {
    for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies })) {
      for (const part of range.split('||')) expect(part.trim(), `${name}@${range}`).toMatch(/^(\^|>=)\d/);
    }
  });

  it('ships its licence and says how to install it', () => {
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(`${root}packages/${dir}/LICENSE`, 'utf8')).toContain('MIT License');
    expect(readFileSync(`${root}packages/${dir}/README.md`, 'utf8')).toContain(`npm install ${pkg.name}`);
  });
});
