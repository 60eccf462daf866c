// The short soaks in `npm test` (`npm run soak` runs the long ones), one after the other so neither
// starves the other of the machine's two cores:
// - Node: 20,000 requests through createAuthFetch, 64 in flight, against the faulty refresh endpoint
//   with 2 s access tokens (test/reliability/soak/node-soak.ts, in a child process with --expose-gc
//   so the heap figure is real). `npm run soak`: 200,000.
// - Chromium: 4 tabs for 35 s, strict refresh-token rotation, a refresh endpoint cycling through
//   random faults, recovery, a full outage and recovery (test/reliability/soak/browser-soak.ts).
//   `npm run soak`: 2 minutes.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBrowserSoak, type BrowserSoakResult } from './soak/browser-soak.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const REQUESTS = 20_000;

export interface SoakResult {
  requests: number;
  durationMs: number;
  outcomes: { ok: number; responses: Record<string, number>; typed: Record<string, number>; untyped: number; hung: number; settled: number; untypedSamples: string[] };
  refresh: { calls: number; serverRequests: number; successes: number; failures: number; terminal: number; expected: number; bound: number; byKind: Record<string, number>; minGapMs: Record<string, number> };
  events: { sessionExpiredDuringSoak: number; terminalAnswers: number };
  server: { reuseDetections: number; apiCalls: number; api401: number };
  escaped: { unhandledRejections: number; uncaughtExceptions: number; samples: string[] };
  heap: { startBytes: number; endBytes: number; deltaBytes: number };
  recovered: boolean;
  checks: string[];
  failed: string[];
}

/** Runs the Node soak in a child process and returns its result line. */
export function runNodeSoak(args: string[]): Promise<SoakResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', 'test/reliability/soak/node-soak.ts', ...args],
      { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 30 * 60_000 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('SOAK_RESULT '));
        if (!line) return reject(new Error(`no result (${error?.message ?? 'exit 0'})\n${stdout}\n${stderr}`));
        resolve(JSON.parse(line.slice('SOAK_RESULT '.length)) as SoakResult);
      },
    );
  });
}

describe(`Node soak: ${REQUESTS} requests, 64 in flight, faulty refresh endpoint, 2 s tokens`, () => {
  let result: SoakResult;
  beforeAll(async () => {
    result = await runNodeSoak(['--requests', String(REQUESTS), '--rate', '1000']);
    console.log(`node soak: ${JSON.stringify({ durationMs: result.durationMs, outcomes: result.outcomes, refresh: result.refresh, heapDeltaBytes: result.heap.deltaBytes })}`);
  }, 180_000);

  it('settles every request: a success, the API’s own error response, or a typed error; none hangs', () => {
    expect(result.outcomes.settled).toBe(REQUESTS);
    expect(result.outcomes.hung).toBe(0);
    expect(result.outcomes.untypedSamples).toEqual([]);
    expect(result.outcomes.untyped).toBe(0);
    // Half the refreshes fail, so many callers fail fast in backoff; the rest are served.
    expect(result.outcomes.ok).toBeGreaterThan(REQUESTS / 10);
  });

  it('lets no rejection go unhandled and no exception uncaught', () => {
    expect(result.escaped.samples).toEqual([]);
    expect(result.escaped.unhandledRejections + result.escaped.uncaughtExceptions).toBe(0);
  });

  it('keeps refresh calls within one per half token lifetime, one per sign-in and one retry per failure, with no storm between them', () => {
    expect(result.refresh.serverRequests).toBeLessThanOrEqual(result.refresh.bound);
    expect(result.refresh.minGapMs['after success'] ?? Infinity).toBeGreaterThanOrEqual(500);
    expect(result.refresh.minGapMs['after failure'] ?? Infinity).toBeGreaterThanOrEqual(40);
    expect(result.refresh.minGapMs['after Retry-After 1'] ?? Infinity).toBeGreaterThanOrEqual(950);
    expect(result.refresh.minGapMs['after hang'] ?? Infinity).toBeGreaterThanOrEqual(2_950);
  });

  it('met every kind of fault, and still served most requests', () => {
    for (const kind of ['500', 'hang', '503-retry-after', 'html', '429-retry-after', 'malformed-json', 'no-expiry', 'terminal']) expect(result.refresh.byKind[kind] ?? 0, kind).toBeGreaterThan(0);
  });

  it('emits session-expired exactly once per terminal answer of the endpoint, and detects no refresh-token reuse', () => {
    expect(result.events.terminalAnswers).toBeGreaterThan(0);
    expect(result.events.sessionExpiredDuringSoak).toBe(result.events.terminalAnswers);
    expect(result.server.reuseDetections).toBe(0);
  });

  it('ends with the heap after GC within 5 MB of the start', () => {
    expect(Math.abs(result.heap.deltaBytes)).toBeLessThanOrEqual(5 * 1024 * 1024);
  });

  it('serves again once the endpoint recovers', () => {
    expect(result.recovered).toBe(true);
  });

  it('passes every check of the soak script', () => {
    expect(result.failed).toEqual([]);
  });
});

const DURATION_MS = Number(process.env.TOKENWARD_BROWSER_SOAK_MS ?? 35_000);

describe(`Chromium soak: 4 tabs for ${DURATION_MS / 1000} s under a faulty refresh endpoint (strict reuse detection)`, () => {
  let result: BrowserSoakResult;
  beforeAll(async () => {
    result = await runBrowserSoak({ durationMs: DURATION_MS });
    const { durationMs, apiCalls, refresh, reuseDetections, recoveries, perTab } = result;
    const tabs = perTab.map((t) => ({ ok: t.outcomes.ok, statuses: t.outcomes.statuses, codes: t.outcomes.codes, events: t.events }));
    console.log(`browser soak: ${JSON.stringify({ durationMs, apiCalls, refresh, reuseDetections, recoveries, tabs })}`);
  }, DURATION_MS + 120_000);

  it('detects zero refresh-token reuse, and no tab’s session expires', () => {
    expect(result.reuseDetections).toBe(0);
    for (const tab of result.perTab) expect(tab.events['session-expired'] ?? 0).toBe(0);
  });

  it('every tab regains a valid session whenever the endpoint recovers', () => {
    expect(result.recoveries.some((r) => r.after === 'down')).toBe(true);
    expect(result.recoveries.filter((r) => !r.allTabs)).toEqual([]);
  });

  it('settles every API call with a response or a typed error, and serves most of them', () => {
    for (const tab of result.perTab) {
      expect(tab.outcomes.other).toEqual([]);
      expect(tab.outcomes.inFlight).toBe(0);
      expect(tab.outcomes.ok).toBeGreaterThan(50);
    }
  });

  it('refreshes once per expiry for all tabs (no refresh right after a success), within the bound', () => {
    expect(result.refresh.minGapAfterSuccessMs).toBeGreaterThanOrEqual(500);
    expect(result.refresh.requests).toBeLessThanOrEqual(result.refresh.bound);
  });

  it('passes every check, with no page error', () => {
    expect(result.pageErrors).toEqual([]);
    expect(result.failed).toEqual([]);
  });
});
