// `npm run bench`: every comparison in one run, against the built packages, on this machine.
//   node bench/run.mjs            full run: bench/results.json and bench/results.md
//   node bench/run.mjs --smoke    a few hundred iterations per case, for CI (no timing targets asserted)
//   --out DIR                     where to write results (smoke default: a temporary directory)
//   --only a,b                    run only these cases (see CASES)
// Exits non-zero when a case crashes or produced no numbers, or when tokenward's stampede counts are
// not exactly 1 refresh, 0 failed, 0 reused, or the server's burst not exactly 1 rotation, 0 revocations.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CASES = [
  ['attachCost', 'attach-cost', '2. Cost of deciding and attaching the token'],
  ['throughput', 'throughput', '1. Throughput over loopback'],
  ['stampede', 'stampede', '3. Stampede: 100 concurrent calls, expired token'],
  ['memory', 'memory', '6. Memory after 200,000 requests'],
  ['node', 'node', '5. Node: cached getAccessToken() and 10,000 concurrent callers'],
  ['bundleSize', 'bundle-size', '4. Browser bundle size'],
  ['server', 'server', '7. @tokenward/server: a burst of one family, and refreshes against ES256 signing'],
  ['fleet', 'fleet', '8. Fleet on Redis: 8 processes × 500 cold callers, and a cached call through the Redis store'],
  ['otel', 'otel', '9. OpenTelemetry instrumentation: its cost per request, off and on'],
];

const args = process.argv.slice(2);
const option = (name) => {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
};

if (typeof globalThis.gc !== 'function') {
  // The memory case needs to collect garbage on demand: run again with --expose-gc.
  const child = spawn(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  process.exitCode = await main();
  // Clients under test may leave keep-alive sockets or timers behind: do not wait for them.
  process.exit();
}

async function main() {
  const smoke = args.includes('--smoke');
  const only = option('--only')?.split(',');
  const outDir = option('--out') ?? (smoke ? join(os.tmpdir(), 'tokenward-bench-smoke') : fileURLToPath(new URL('.', import.meta.url)));
  const log = (line) => console.log(line);
  const started = performance.now();
  const watchdog = setTimeout(() => {
    console.error(`bench: still running after ${smoke ? 3 : 9} minutes, giving up`);
    process.exit(1);
  }, (smoke ? 3 : 9) * 60_000);
  watchdog.unref();

  if (!existsSync(new URL('../packages/core/dist/index.js', import.meta.url))) {
    console.error('bench: packages/core/dist is missing; run `npm run build` first (or `npm run bench`, which does)');
    return 1;
  }

  const cpus = os.cpus();
  const machine = {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAverage: os.loadavg(),
  };
  log(`tokenward bench (${smoke ? 'smoke' : 'full'}): ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadAverage.map((x) => x.toFixed(2)).join(' ')}`);

  const cases = {};
  const errors = {};
  for (const [key, file, title] of CASES) {
    if (only && !only.includes(key) && !only.includes(file)) continue;
    log(`\n${title}`);
    const caseStarted = performance.now();
    try {
      const { run } = await import(`./cases/${file}.mjs`);
      cases[key] = await run({ smoke, log });
      if (!hasNumbers(cases[key])) throw new Error('produced no numbers');
    } catch (error) {
      errors[key] = error?.stack ?? String(error);
      console.error(`  FAILED: ${errors[key]}`);
    }
    log(`  (${((performance.now() - caseStarted) / 1000).toFixed(1)} s)`);
  }

  machine.loadAverageEnd = os.loadavg();
  const { targets, toMarkdown } = await import('./lib/report.mjs');
  const results = { mode: smoke ? 'smoke' : 'full', machine, durationSeconds: (performance.now() - started) / 1000, targets: targets(cases), cases, errors };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = toMarkdown(results);
  writeFileSync(join(outDir, 'results.md'), markdown);
  log(`\n${markdown}`);
  log(`Results: ${join(outDir, 'results.json')} and results.md (${Math.round(results.durationSeconds)} s)`);
  // Only a full run of every case stands for the README's table; a partial one would drop the rest.
  if (!smoke && !only) updateReadme(markdown);

  const wrongCounts = results.targets.filter((t) => (t.what.startsWith('stampede') || t.what.startsWith('server burst')) && !t.met);
  for (const t of wrongCounts) console.error(`bench: tokenward ${t.what}: ${t.value}, expected ${t.target}`);
  return Object.keys(errors).length > 0 || wrongCounts.length > 0 ? 1 : 0;
}

/** The README shows the table as last measured: a full run rewrites the block between its markers. */
function updateReadme(markdown) {
  const path = fileURLToPath(new URL('../README.md', import.meta.url));
  const readme = readFileSync(path, 'utf8');
  const block = /(<!-- bench:start -->\n)[\s\S]*?(\n<!-- bench:end -->)/;
  if (!block.test(readme)) return;
  writeFileSync(path, readme.replace(block, (_, start, end) => `${start}${markdown.trim().replaceAll('\n### ', '\n#### ')}${end}`));
  console.log('README.md: benchmark table updated');
}

/** At least one finite number, and no NaN anywhere. */
function hasNumbers(value) {
  let found = false;
  const walk = (node) => {
    if (typeof node === 'number') {
      if (Number.isNaN(node)) throw new Error('produced NaN');
      if (Number.isFinite(node)) found = true;
    } else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(value);
  return found;
}
