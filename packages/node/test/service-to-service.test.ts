import { createAuthFetch } from '@tokenward/core';
import { createAuthKy } from '@tokenward/core/ky';
import { createClientCredentials, createKeyProvider, createSelfSignedTokens } from '@tokenward/node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientIds, clientSecret, createAuthServer, resourceServers, type AuthServer } from './helpers/create-auth-server.js';
import { createResourceServer, type ResourceServer } from './helpers/create-resource-server.js';

const audience = resourceServers[1]!;
let auth: AuthServer;
let api: ResourceServer;

beforeAll(async () => {
  auth = await createAuthServer({ accessTokenTTL: 60 });
  api = await createResourceServer({ issuer: auth.issuer, jwksUri: auth.jwksUri, audience });
});
afterAll(async () => {
  await api.close();
  await auth.close();
});

it('createAuthFetch sends the service token and recovers from a refused one with one new grant', async () => {
  const tokens = createClientCredentials({ issuer: auth.issuer, clientId: clientIds.post, clientSecret, authMethod: 'client_secret_post', audienceParameter: 'resource' });
  const authFetch = createAuthFetch(tokens.session({ audience, scope: 'read' }), { origins: [api.url] });
  expect((await authFetch(`${api.url}/orders`)).status).toBe(200);

  // The API refuses the current token (revoked): one 401, one refresh, the request is retried once.
  api.refuse.add(await tokens.getAccessToken({ audience, scope: 'read' }));
  const responses = await Promise.all(Array.from({ length: 20 }, () => authFetch(`${api.url}/orders`)));
  expect(responses.map((response) => response.status)).toEqual(Array(20).fill(200));
  expect(auth.counts.grants).toBe(2);

  tokens.dispose();
});

it('createAuthFetch keeps the service token from origins outside its allow-list', async () => {
  const tokens = createClientCredentials({ issuer: auth.issuer, clientId: clientIds.basic, clientSecret, audience, audienceParameter: 'resource' });
  const sent: (string | null)[] = [];
  const spy = (async (input: RequestInfo | URL, init?: RequestInit) => {
    sent.push(new Headers(init?.headers).get('authorization'));
    return new Response('{}');
  }) as typeof fetch;
  const authFetch = createAuthFetch(tokens.session(), { origins: [api.url], fetch: spy });
  await authFetch('https://elsewhere.test/steal');
  await authFetch(`${api.url}/orders`);
  expect(sent[0]).toBeNull();
  expect(sent[1]).toMatch(/^Bearer ey/);
  tokens.dispose();
});

it('createAuthKy sends the service token on every request', async () => {
  const tokens = createClientCredentials({ issuer: auth.issuer, clientId: clientIds.basic, clientSecret, audience, audienceParameter: 'resource' });
  const api2 = createAuthKy(tokens.session(), { origins: [api.url], ky: { prefix: api.url, retry: 0 } });
  const results = await Promise.all(Array.from({ length: 10 }, () => api2.get('orders').json()));
  expect(results).toEqual(Array(10).fill({ ok: true }));
  tokens.dispose();
});

it('self-signed tokens are accepted by a service that verifies them against the published JWKS', async () => {
  const keys = createKeyProvider();
  const tokens = createSelfSignedTokens({ key: keys, issuer: 'urn:billing', subject: 'billing-worker', audience: 'urn:ledger', ttl: 60 });
  const ledger = await createResourceServer({ issuer: 'urn:billing', audience: 'urn:ledger', jwks: await keys.jwks() });
  const authFetch = createAuthFetch(tokens, { origins: [ledger.url] });
  const statuses = await Promise.all(Array.from({ length: 10 }, async () => (await authFetch(`${ledger.url}/entries`)).status));
  expect(statuses).toEqual(Array(10).fill(200));
  expect(ledger.tokens.size).toBe(1);
  tokens.dispose();
  await ledger.close();
});
