// `npm start`: installs what is missing, builds the packages and the demo page, then runs the demo:
// the reference auth server with the page on http://127.0.0.1:PORT (8-second access tokens) and a
// local OpenID provider to sign in with (127.0.0.1, a free port), and the
// service-to-service demo printing its token lifecycle in this terminal. Ctrl-C stops everything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';
const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);

if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`PORT must be a port number, got "${process.env.PORT}".`);
// Before the build, so a busy port is reported in a second, not after it.
await ensurePortFree();

if (!existsSync('node_modules/.package-lock.json')) {
  step('Installing dependencies (npm install)...');
  run('npm', ['install', '--no-audit', '--no-fund']);
}
step('Building the packages and the demo page...');
run('npm', ['run', 'build', '--silent']);
const { buildSpa } = await import('../examples/spa/build.mjs');
await buildSpa();

// The demo's servers are TypeScript sources: tsx loads them (installed above, hence imported late).
const { register } = await import('tsx/esm/api');
register();
const { startDemoServer } = await import('../examples/spa/src/demo-server.ts');
const { startServiceDemo } = await import('../examples/service/src/start-service-demo.ts');

let web;
try {
  web = await startDemoServer({ port, host, accessTtlSeconds: 8 });
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
banner(web.url);
const service = await startServiceDemo({ tokenTtlSeconds: 10, outageEvery: 4 });

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    // Ctrl-C reaches npm and this process both; the second signal changes nothing.
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the demo...');
    const results = await Promise.allSettled([service.stop(), web.close()]);
    for (const result of results) if (result.status === 'rejected') console.error(result.reason);
    console.log('Stopped.');
    process.exit(0);
  });
}

function banner(url) {
  const lines = [
    `tokenward demo   ${paint('1;36', url)}`,
    '',
    'Open it, sign in as demo / demo, then "Open another tab".',
    'Or "Sign in with the local OpenID provider": a real oidc-provider on 127.0.0.1.',
    'Access tokens live 8 seconds: every tab refreshes, one request for all of them.',
  ];
  const width = Math.max(...lines.map((line) => line.replace(/\x1b\[[\d;]*m/g, '').length)) + 4;
  const pad = (line) => line + ' '.repeat(width - 4 - line.replace(/\x1b\[[\d;]*m/g, '').length);
  console.log(['', `  +${'-'.repeat(width - 2)}+`, ...lines.map((line) => `  | ${pad(line)} |`), `  +${'-'.repeat(width - 2)}+`, ''].join('\n'));
  console.log('Below: the service-to-service demo (examples/service). Service `reports` calls the `ledger` API with');
  console.log('client-credentials tokens (private_key_jwt, 10 s lifetime); every 4th token request fails on purpose.');
  console.log(`Ctrl-C stops everything.\n`);
}

function step(message) {
  console.log(paint('2', message));
}

function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function fail(message) {
  console.error(`\n  ${paint('1;31', 'Cannot start the demo:')} ${message}\n`);
  process.exit(1);
}

async function ensurePortFree() {
  if (port === 0) return;
  const probe = createServer();
  const error = await new Promise((resolve) => {
    probe.once('error', resolve);
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
  if (error?.code === 'EADDRINUSE') {
    fail(`port ${port} on ${host} is already in use. Stop whatever uses it, or choose another port: PORT=${port === 3000 ? 3001 : port + 1} npm start`);
  }
  if (error) fail(`cannot listen on ${host}:${port} (${error.code ?? error.message}).`);
}
