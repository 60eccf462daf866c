// The service-to-service demo `npm start` runs, in-process for a few seconds.
import { expect, it } from 'vitest';
import { startServiceDemo } from '../../examples/service/src/start-service-demo.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('the service gets a private_key_jwt client-credentials token, refreshes it ahead of expiry, and every ledger call succeeds', async () => {
  const lines: string[] = [];
  const demo = await startServiceDemo({ tokenTtlSeconds: 2, callsPerSecond: 5, print: (line) => lines.push(line), color: false });
  try {
    // Until 15 calls and 3 tokens (about 4 s): counted, not timed, so a loaded machine only waits longer.
    for (const deadline = Date.now() + 12_000; Date.now() < deadline; await sleep(100)) {
      const { calls, events } = demo.stats();
      if (calls >= 15 && (events.refreshed ?? 0) >= 3) break;
    }
  } finally {
    await demo.stop();
  }
  const stats = demo.stats();
  expect(stats.calls).toBeGreaterThanOrEqual(15);
  expect(stats.ok).toBe(stats.calls);
  // One token request per token: the first, then one refresh per lifetime (about one a second here).
  expect(stats.events.refreshed).toBeGreaterThanOrEqual(3);
  expect(stats.tokenRequests).toBe(stats.events.refreshed);
  expect(stats.events['refresh-failed']).toBeUndefined();
  expect(lines.filter((line) => / refreshed /.test(line))).toHaveLength(stats.events.refreshed!);
  expect(lines.some((line) => /5\/5 calls ok/.test(line))).toBe(true);
  expect(lines.join('\n')).not.toMatch(/eyJ[\w-]{4,}\./);
}, 20_000);

it('rides out a token endpoint outage: the refresh fails, is retried, and no call fails', async () => {
  const lines: string[] = [];
  // 3 s tokens refresh about every 1.5 s; the third token request (the second refresh) answers 503.
  const demo = await startServiceDemo({ tokenTtlSeconds: 3, callsPerSecond: 5, outageEvery: 3, print: (line) => lines.push(line), color: false });
  try {
    await sleep(6_000);
  } finally {
    await demo.stop();
  }
  const stats = demo.stats();
  expect(stats.events['refresh-failed']).toBeGreaterThanOrEqual(1);
  expect(lines.some((line) => /refresh-failed .*HTTP 503.*retry in/.test(line))).toBe(true);
  expect(stats.events['session-expired']).toBeUndefined();
  expect(stats.failed).toBe(0);
  expect(stats.ok).toBeGreaterThanOrEqual(20);
}, 15_000);
