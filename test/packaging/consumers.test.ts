// The published packages as adopters meet them: a Node project that compiles against the built
// declarations with no DOM library and full lib checking, and a CommonJS project that require()s
// them (Node 20.19+ loads ES modules through require).
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
// Inside the repository, so that `@tokenward/*` resolve to the workspace packages as installed.
const dir = `${root}test-results/consumer-${process.pid}`;
/** Packages that run on Node: every published one but the browser adapter (which needs the DOM by nature) and React bindings. */
const nodePackages = readdirSync(`${root}packages`).filter((name) => !['browser', 'react'].includes(name));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('adopters', () => {
  it('compile a Node project against the declarations with lib es2022, Node types only and skipLibCheck false', async () => {
    mkdirSync(dir, { recursive: true });
    const imports = nodePackages.map((name, i) => `import * as p${i} from '@tokenward/${name}';\nconsole.log(Object.keys(p${i}).length);`).join('\n');
    writeFileSync(`${dir}/index.ts`, `${imports}\nimport { createAuthFetch, createSession } from '@tokenward/core';\nconst session = createSession({ refresh: async () => ({ accessToken: 'a', expiresIn: 60 }) });\nconst authFetch: typeof fetch = createAuthFetch(session, { origins: ['https://api.example.com'] });\nvoid authFetch;\n`);
    const tsconfig = { compilerOptions: { target: 'es2022', lib: ['es2022'], types: ['node'], module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: false, noEmit: true }, files: ['index.ts'] };
    writeFileSync(`${dir}/tsconfig.json`, JSON.stringify(tsconfig));
    writeFileSync(`${dir}/package.json`, JSON.stringify({ type: 'module' }));
    const result = await run(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', `${dir}/tsconfig.json`]).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    expect(result.stdout).toBe('');
  }, 60_000);

  it.each(nodePackages)('require @tokenward/%s from CommonJS', async (name) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/require-${name}.cjs`, `const pkg = require('@tokenward/${name}');\nconsole.log(Object.keys(pkg).length > 0 ? 'ok' : 'empty');\n`);
    const { stdout } = await run(process.execPath, [`${dir}/require-${name}.cjs`]);
    expect(stdout.trim()).toBe('ok');
  });
});
