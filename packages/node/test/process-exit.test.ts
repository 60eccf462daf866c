import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientIds, clientSecret, createAuthServer, type AuthServer } from './helpers/create-auth-server.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/live-session.ts', import.meta.url));
let server: AuthServer;

beforeAll(async () => {
  server = await createAuthServer({ accessTokenTTL: 60 });
});
afterAll(() => server.close());

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  exitedAt: number;
  report: { status: string; refreshAt: number; mintedRefreshAt: number; doneAt: number } | undefined;
}

/** Runs the fixture; kills it if it is still alive `killAfterMs` after it reported its work done. */
async function runChild(env: Record<string, string>, killAfterMs: number): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    cwd: root,
    env: { ...process.env, ISSUER: server.issuer, CLIENT_ID: clientIds.basic, CLIENT_SECRET: clientSecret, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let killer: NodeJS.Timeout | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk;
    killer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const safety = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  const exitedAt = Date.now();
  clearTimeout(killer);
  clearTimeout(safety);
  return { code, signal, stderr, exitedAt, report: stdout ? JSON.parse(stdout) : undefined };
}

it('a process with live sessions and scheduled refreshes exits on its own as soon as its work is done', async () => {
  const run = await runChild({}, 5_000);
  expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  const report = run.report!;
  expect(report.status).toBe('active');
  // Refreshes were scheduled well into the future...
  expect(report.refreshAt - report.doneAt).toBeGreaterThan(20_000);
  expect(report.mintedRefreshAt - report.doneAt).toBeGreaterThan(20_000);
  // ...and did not hold the process: it ended right after its last line of work.
  expect(run.exitedAt - report.doneAt).toBeLessThan(1_000);
  expect(server.counts).toMatchObject({ discovery: 1, grants: 1 });
}, 20_000);

it("control: the same process on a clock with ref'd timers is still alive 2 s later", async () => {
  const run = await runChild({ REF_TIMERS: '1' }, 2_000);
  expect(run.report?.status).toBe('active');
  expect(run.signal).toBe('SIGKILL');
  expect(run.exitedAt - run.report!.doneAt).toBeGreaterThanOrEqual(1_900);
}, 20_000);
