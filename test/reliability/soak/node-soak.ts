// The Node soak: N requests through createAuthFetch, 64 in flight, against the faulty soak server
// (in its own process, so this process's heap is the SDK's and the driver's only). Prints one line,
// `SOAK_RESULT {...}`, with the figures and the list of checks that failed (empty when all hold).
//
//   node --expose-gc --import tsx test/reliability/soak/node-soak.ts --requests 20000 --rate 1000
//
// What it checks, and why each can fail:
// - every request settles: a success, the API's own error response, or a typed TokenwardError; a
//   per-request watchdog counts any that does not (and aborts it);
// - no unhandled rejection and no uncaught exception (process hooks count them);
// - refresh calls within their bound: at most one scheduled refresh per half token lifetime, plus one
//   per sign-in, plus one retry per failed answer; and no storm in the gaps between them (after a
//   success the next refresh waits for the token to age, after a failure at least the backoff floor,
//   after a Retry-After at least that long);
// - heap after GC within 5 MB of where it stood after warm-up;
// - `session-expired` exactly once per terminal answer of the endpoint, and never otherwise; zero
//   refresh-token reuse detections (the server is strict);
// - once the endpoint recovers, the session serves a token again.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAuthFetch, createSession, isTokenwardError, type RefreshPolicy } from '@tokenward/core';
import { createRefreshTransport, readTokenResponse } from '@tokenward/browser';
import type { RefreshLogEntry, SoakReport } from './soak-server.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    inflight: { type: 'string', default: '64' },
    rate: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '7' },
    'fault-rate': { type: 'string', default: '0.5' },
    'terminal-every': { type: 'string', default: '12' },
  },
});
const REQUESTS = Number(values.requests);
const IN_FLIGHT = Number(values.inflight);
const RATE = Number(values.rate);
const WARMUP = Math.min(1_000, Math.ceil(REQUESTS / 10));
const WATCHDOG_MS = 15_000;
const LIFETIME_MS = 2_000;
const POLICY: Partial<RefreshPolicy> = { timeoutMs: 3_000, backoffMs: 200, maxBackoffMs: 2_000 };
const BACKOFF_FLOOR_MS = 50;

const escaped = { unhandledRejections: 0, uncaughtExceptions: 0, samples: [] as string[] };
process.on('unhandledRejection', (reason) => void (escaped.unhandledRejections++, escaped.samples.push(String(reason))));
process.on('uncaughtException', (error) => void (escaped.uncaughtExceptions++, escaped.samples.push(String(error))));

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

async function startServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const script = fileURLToPath(new URL('./soak-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify({ seed: Number(values.seed), faultRate: Number(values['fault-rate']), terminalEvery: Number(values['terminal-every']) })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    if (line.startsWith('SOAK_SERVER ')) {
      const { url } = JSON.parse(line.slice('SOAK_SERVER '.length)) as { url: string };
      return {
        url,
        async stop() {
          child.stdin!.end();
          await once(child, 'exit');
        },
      };
    }
  }
  throw new Error('the soak server did not start');
}

const server = await startServer();
const { url } = server;

// A cookie jar for the /auth routes, as a browser would keep one.
const jar = new Map<string, string>();
const jarFetch: typeof fetch = async (input, init) => {
  const headers = new Headers(init?.headers);
  if (jar.size) headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
  const response = await fetch(input, { ...init, headers });
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(';', 1)[0]!;
    const eq = pair.indexOf('=');
    const [name, value] = [pair.slice(0, eq), pair.slice(eq + 1)];
    if (value === '' || /max-age=0\b/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  return response;
};
const csrf = () => ({ 'x-tokenward-csrf': jar.get('tw_csrf') ?? '1' });

let refreshCalls = 0;
const transport = createRefreshTransport({ url: `${url}/auth/refresh`, headers: csrf, fetch: jarFetch });
const session = createSession({
  refresh: (context) => (refreshCalls++, transport(context)),
  policy: POLICY,
  onListenerError: (error) => escaped.samples.push(`listener: ${String(error)}`),
});
const authFetch = createAuthFetch(session, { origins: [url] });

const events = { sessionExpired: 0, refreshFailed: 0, signIns: 0, reloginFailures: 0 };
async function signIn(): Promise<void> {
  const response = await jarFetch(`${url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'demo', password: 'demo' }) });
  session.signIn(await readTokenResponse(response));
  events.signIns++;
}
session.on('refresh-failed', () => void events.refreshFailed++);
// The app's answer to an expired session: sign in again.
session.on('session-expired', () => {
  events.sessionExpired++;
  signIn().catch(() => void events.reloginFailures++);
});

interface Outcomes {
  ok: number;
  responses: Record<string, number>;
  typed: Record<string, number>;
  untyped: number;
  hung: number;
  untypedSamples: string[];
}
const outcomes = (): Outcomes => ({ ok: 0, responses: {}, typed: {}, untyped: 0, hung: 0, untypedSamples: [] });
const bump = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1);

async function one(into: Outcomes): Promise<void> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watchdog = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error('watchdog'));
      resolve('hung');
    }, WATCHDOG_MS);
  });
  const work = (async () => {
    try {
      const response = await authFetch(`${url}/api/data`, { signal: controller.signal });
      await response.arrayBuffer();
      if (response.ok) into.ok++;
      else bump(into.responses, String(response.status));
    } catch (error) {
      if (controller.signal.aborted) return;
      if (isTokenwardError(error)) bump(into.typed, error.code);
      else {
        into.untyped++;
        if (into.untypedSamples.length < 5) into.untypedSamples.push(String(error));
      }
    }
  })();
  if ((await Promise.race([work, watchdog])) === 'hung') into.hung++;
  clearTimeout(timer);
}

async function drive(count: number, rate: number, into: Outcomes): Promise<number> {
  const start = performance.now();
  let issued = 0;
  const worker = async () => {
    for (let i = issued++; i < count; i = issued++) {
      const wait = start + (i * 1000) / rate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await one(into);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return performance.now() - start;
}

const report = async (): Promise<SoakReport> => (await fetch(`${url}/soak/report`)).json() as Promise<SoakReport>;
const setMode = (mode: string) => fetch(`${url}/soak/mode`, { method: 'POST', body: JSON.stringify({ mode }) }).then((r) => r.arrayBuffer());

// Warm-up (healthy): connections, JIT, the server's keys. The heap is measured from its end.
await setMode('healthy');
await signIn();
await drive(WARMUP, RATE, outcomes());
const heapStart = await heapAfterGc();
const logStart = (await report()).log.length;
const refreshCallsStart = refreshCalls;
const signInsStart = events.signIns;
const expiredStart = events.sessionExpired;

// The soak.
await setMode('faulty');
const startedAt = Date.now();
const main = outcomes();
const durationMs = await drive(REQUESTS, RATE, main);
const endedAt = Date.now();
const refreshCallsEnd = refreshCalls;

// Recovery: the endpoint heals; within the longest timeout plus backoff the session serves again.
await setMode('healthy');
const recoverBy = Date.now() + POLICY.timeoutMs! + POLICY.maxBackoffMs! + 2_000;
let recovered = false;
while (!recovered && Date.now() < recoverBy) {
  const response = await authFetch(`${url}/api/data`).catch(() => undefined);
  recovered = response?.ok ?? false;
  await response?.arrayBuffer();
  if (!recovered) await new Promise((resolve) => setTimeout(resolve, 100));
}

const heapEnd = await heapAfterGc();
const server_ = await report();
const log = server_.log.slice(logStart).filter((entry) => entry.at >= startedAt && entry.at <= endedAt);
session.dispose();
await server.stop();

// Refresh figures and their bound.
const failures = log.filter((e) => e.kind !== 'ok' && e.kind !== 'terminal').length;
const terminal = log.filter((e) => e.kind === 'terminal').length;
// Every terminal answer since the warm-up, inside the window or just after it, against every session-expired since.
const afterWarmup = server_.log.slice(logStart);
const terminalAnswers = afterWarmup.filter((e) => e.kind === 'terminal' || (e.kind === 'ok' && e.status !== 200)).length;
const sessionExpired = events.sessionExpired - expiredStart;
const successes = log.filter((e) => e.kind === 'ok' && e.status === 200).length;
const refused = log.filter((e) => e.kind === 'ok' && e.status !== 200).length;
const signInsDuring = events.signIns - signInsStart;
const windowMs = endedAt - startedAt;
const expected = Math.ceil(windowMs / (LIFETIME_MS / 2)) + 1 + signInsDuring;
const bound = expected + failures;

/**
 * The shortest gap from an answer of each kind to the next refresh request. The log is in the order
 * answers were sent (a hung request is answered long after it arrived), so it is put in order of
 * arrival first. Gaps run from the answer's end after a failure (the backoff starts when the client
 * has it), and from the arrival after a success (the client dates a token from when it sent the
 * request, so a late answer leaves it nearer its refresh) or a hang (the client's own timer).
 */
function gaps(entries: RefreshLogEntry[]): Record<string, number> {
  const byArrival = [...entries].sort((a, b) => a.at - b.at);
  const min: Record<string, number> = {};
  for (let i = 0; i + 1 < byArrival.length; i++) {
    const { kind, at, end, retryAfter } = byArrival[i]!;
    const key = kind === 'ok' ? 'after success' : kind === 'hang' ? 'after hang' : retryAfter ? `after Retry-After ${retryAfter}` : kind === 'terminal' ? 'after terminal' : 'after failure';
    const gap = byArrival[i + 1]!.at - (kind === 'ok' || kind === 'hang' ? at : end);
    min[key] = Math.min(min[key] ?? Infinity, gap);
  }
  return min;
}
const minGaps = gaps(log);

const result = {
  requests: REQUESTS,
  inFlight: IN_FLIGHT,
  durationMs: Math.round(durationMs),
  outcomes: { ...main, settled: main.ok + main.untyped + main.hung + Object.values(main.responses).reduce((a, b) => a + b, 0) + Object.values(main.typed).reduce((a, b) => a + b, 0) },
  refresh: {
    calls: refreshCallsEnd - refreshCallsStart,
    serverRequests: log.length,
    successes,
    failures,
    terminal,
    refused,
    signIns: signInsDuring,
    expected,
    bound,
    byKind: log.reduce<Record<string, number>>((acc, e) => ((acc[e.kind] = (acc[e.kind] ?? 0) + 1), acc), {}),
    minGapMs: minGaps,
  },
  events: { ...events, sessionExpiredDuringSoak: sessionExpired, terminalAnswers },
  server: { reuseDetections: server_.stats.reuseDetections, graceReuses: server_.stats.graceReuses, apiCalls: server_.api.calls, api401: server_.api.unauthorized },
  escaped,
  heap: { startBytes: heapStart, endBytes: heapEnd, deltaBytes: heapEnd - heapStart },
  recovered,
};

const checks: Array<[string, boolean]> = [
  ['every request settled', result.outcomes.settled === REQUESTS],
  ['no request hung', main.hung === 0],
  ['no untyped error', main.untyped === 0],
  ['no unhandled rejection or uncaught exception', escaped.unhandledRejections === 0 && escaped.uncaughtExceptions === 0],
  [`refresh requests ${log.length} <= bound ${bound}`, log.length <= bound],
  ['after a success the next refresh waits for the token to age (>= 500 ms)', (minGaps['after success'] ?? Infinity) >= 500],
  [`after a failure the next refresh waits for the backoff floor (>= ${BACKOFF_FLOOR_MS - 10} ms)`, (minGaps['after failure'] ?? Infinity) >= BACKOFF_FLOOR_MS - 10],
  ['after Retry-After: 1 the next refresh waits >= 950 ms', (minGaps['after Retry-After 1'] ?? Infinity) >= 950],
  [`a hung refresh is given up after its timeout (>= ${POLICY.timeoutMs} ms)`, (minGaps['after hang'] ?? Infinity) >= POLICY.timeoutMs! - 50],
  ['heap after GC within 5 MB of the start', Math.abs(result.heap.deltaBytes) <= 5 * 1024 * 1024],
  [`session-expired ${sessionExpired} times = terminal answers ${terminalAnswers}`, sessionExpired === terminalAnswers],
  ['no refresh-token reuse detected', server_.stats.reuseDetections === 0 && refused === 0],
  ['the session recovered once the endpoint did', recovered],
  ['every kind of fault occurred', ['500', 'hang', '503-retry-after', 'html', '429-retry-after', 'malformed-json', 'no-expiry', 'terminal'].every((kind) => log.some((e) => e.kind === kind))],
];
const failed = checks.filter(([, ok]) => !ok).map(([name]) => name);
process.stdout.write(`SOAK_RESULT ${JSON.stringify({ ...result, checks: checks.map(([name]) => name), failed })}\n`);
process.exit(0);
