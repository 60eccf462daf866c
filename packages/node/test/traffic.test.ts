import { createAuthFetch } from '@tokenward/core';
import { createClientCredentials } from '@tokenward/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientIds, clientSecret, createAuthServer, resourceServers, type AuthServer } from './helpers/create-auth-server.js';
import { createResourceServer, type ResourceServer } from './helpers/create-resource-server.js';
import { sleep } from './helpers/clocks.js';

const audience = resourceServers[0]!;
let auth: AuthServer;
let api: ResourceServer;

beforeAll(async () => {
  auth = await createAuthServer({ accessTokenTTL: 5 });
  api = await createResourceServer({ issuer: auth.issuer, jwksUri: auth.jwksUri, audience });
});
afterAll(async () => {
  await api.close();
  await auth.close();
});

it('30 s of continuous traffic with 5 s tokens: zero 401s, every refresh ahead of expiry', async () => {
  const tokens = createClientCredentials({ issuer: auth.issuer, clientId: clientIds.basic, clientSecret, audience, audienceParameter: 'resource', scope: 'read' });
  const session = tokens.session();
  const refreshes: { reason: string; at: number }[] = [];
  session.on('refreshed', ({ reason }) => refreshes.push({ reason, at: Date.now() }));
  // No 401 retry: a refused token would show as a failure here, not be papered over.
  const authFetch = createAuthFetch(session, { origins: [api.url], retryUnauthorized: false });

  const statuses = new Map<number, number>();
  const until = Date.now() + 30_000;
  const worker = async () => {
    while (Date.now() < until) {
      const response = await authFetch(`${api.url}/orders`);
      await response.arrayBuffer();
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      await sleep(5);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  tokens.dispose();

  expect(api.counts.unauthorized).toBe(0);
  expect([...statuses.keys()]).toEqual([200]);
  expect(api.counts.ok).toBeGreaterThan(10_000);
  // 5 s tokens refreshed 2.5-3 s before expiry (lead capped at half the lifetime, minus jitter).
  expect(auth.counts.grants).toBeGreaterThanOrEqual(9);
  expect(auth.counts.grants).toBeLessThanOrEqual(14);
  expect(auth.counts.grantErrors).toBe(0);
  // Every refresh after the first ran ahead of expiry, in the background: no caller ever waited for one.
  expect(refreshes.slice(1).every(({ reason }) => reason === 'scheduled')).toBe(true);
  // Every grant was adopted, but for one in flight when the session was disposed.
  expect(auth.counts.grants - refreshes.length).toBeGreaterThanOrEqual(0);
  expect(auth.counts.grants - refreshes.length).toBeLessThanOrEqual(1);
  // Every token adopted while the traffic ran was used; one adopted in its last moments may not be.
  const used = [...api.tokens.values()];
  expect(used.length).toBeGreaterThanOrEqual(refreshes.filter(({ at }) => at < until - 1_000).length);
  expect(used.length).toBeLessThanOrEqual(auth.counts.grants);
  // Each new token was in use before the previous one expired.
  for (let i = 1; i < used.length; i += 1) {
    expect(used[i]!.firstSeen).toBeLessThan(used[i - 1]!.exp * 1000);
    expect(used[i - 1]!.exp - used[i]!.iat).toBeGreaterThanOrEqual(1);
  }
}, 45_000);
