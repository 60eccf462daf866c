// Packaging checks for every built package: publint (package.json vs files) and
// @arethetypeswrong/cli (types resolve for ESM consumers under node16 and bundler resolution).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const packages = readdirSync('packages')
  .map((name) => `packages/${name}`)
  .filter((dir) => existsSync(`${dir}/dist/index.js`));
let failed = false;
for (const dir of packages) {
  for (const [tool, args] of [
    ['publint', [dir, '--strict']],
    ['attw', ['--pack', dir, '--profile', 'esm-only', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync('npx', ['--no-install', tool, ...args], { stdio: 'pipe', encoding: 'utf8' });
      console.log(`ok   ${tool.padEnd(8)} ${dir}`);
    } catch (error) {
      failed = true;
      console.error(`FAIL ${tool.padEnd(8)} ${dir}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    }
  }
}
process.exit(failed ? 1 : 0);
