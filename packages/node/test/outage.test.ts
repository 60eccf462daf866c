import { createClientCredentials } from '@tokenward/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientIds, clientSecret, createAuthServer, type AuthServer } from './helpers/create-auth-server.js';
import { sleep } from './helpers/clocks.js';

let server: AuthServer;
beforeAll(async () => {
  server = await createAuthServer({ accessTokenTTL: 6 });
});
afterAll(() => server.close());

it('serves the cached token through a 503 + Retry-After outage, retries when asked, then recovers', async () => {
  // Token requests 2 and 3 (the refresh-ahead and its first retry) meet an outage.
  server.fault = ({ number }) => (number === 2 || number === 3 ? { status: 503, headers: { 'retry-after': '1' }, body: 'maintenance' } : undefined);
  const tokens = createClientCredentials({
    tokenEndpoint: server.tokenEndpoint,
    clientId: clientIds.basic,
    clientSecret,
    // Refresh 3 s before expiry, no jitter: the schedule below is exact.
    policy: { leadMs: 3_000, jitterFraction: 0 },
    random: () => 0,
  });
  const session = tokens.session();
  const failures: unknown[] = [];
  session.on('refresh-failed', (event) => failures.push(event.error));

  // Expiry counts from when the first request was sent (no later than now), not from when it arrived.
  const sentBefore = Date.now();
  const first = await tokens.getAccessToken();
  const obtainedAt = Date.now();
  const served: string[] = [];
  const errors: unknown[] = [];
  // Callers every 20 ms for 5.5 s: never long enough for the first token (6 s) to expire.
  while (Date.now() - obtainedAt < 5_500) {
    await tokens.getAccessToken().then(
      (token) => served.push(token),
      (error: unknown) => errors.push(error),
    );
    await sleep(20);
  }
  const second = served.at(-1)!;

  expect(errors).toEqual([]);
  expect(second).not.toBe(first);
  expect(new Set(served)).toEqual(new Set([first, second]));
  // Until the recovery, every caller got the cached token; after it, only the new one.
  expect(served.slice(served.indexOf(second)).every((token) => token === second)).toBe(true);
  expect(server.counts).toMatchObject({ tokenRequests: 4, grants: 2 });
  expect(failures).toHaveLength(2);
  expect(failures[0]).toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'transient', status: 503, retryAfterMs: 1_000 });
  const [t1, t2, t3, t4] = server.requestTimes as [number, number, number, number];
  // The refresh-ahead 3 s after the first request was sent (the timer may round a millisecond down).
  expect(t2 - sentBefore).toBeGreaterThanOrEqual(2_990);
  expect(t1).toBeGreaterThanOrEqual(sentBefore);
  expect(t3 - t2).toBeGreaterThanOrEqual(950);
  expect(t4 - t3).toBeGreaterThanOrEqual(950);
  expect(t4 - t1).toBeLessThan(6_000);
  tokens.dispose();
}, 15_000);
