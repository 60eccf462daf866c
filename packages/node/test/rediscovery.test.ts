// Issuer metadata is not forever: re-discovered when the token endpoint looks moved, and daily.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestClock, type TestClock } from '@tokenward/core/testing';
import type { ClientCredentials, ClientCredentialsOptions } from '@tokenward/node';
import { describe, expect, it } from 'vitest';
import { resourceServers } from './helpers/create-auth-server.js';
import { useClientCredentials } from './helpers/use-client-credentials.js';

const fixture = useClientCredentials({ accessTokenTTL: 60 });

function source(clock: TestClock, options: Partial<ClientCredentialsOptions> = {}): ClientCredentials {
  return fixture.source({ audienceParameter: 'resource', clock, random: () => 0, ...options });
}

/** A URL on 127.0.0.1 where nothing listens (any more). */
async function deadUrl(): Promise<string> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return `http://127.0.0.1:${port}/token`;
}

const HOUR = 3_600_000;
const [one, two, three] = resourceServers.map((audience) => ({ audience, scope: 'read' }));

describe('issuer re-discovery', () => {
  it.each([404, 410])('after the token endpoint answers %i, discovers again and the same call succeeds at the new endpoint', async (status) => {
    const clock = createTestClock();
    const tokens = source(clock);
    await tokens.getAccessToken(one);
    expect(fixture.server.counts).toMatchObject({ discovery: 1, grants: 1 });

    fixture.server.tokenEndpointAt = `${fixture.server.issuer}/v2/token`;
    fixture.server.movedStatus = status;
    expect(await tokens.getAccessToken(two)).toMatch(/^ey/);
    // The 404 at the old path never reached the token endpoint: it is not counted.
    expect(fixture.server.counts).toMatchObject({ discovery: 2, grants: 2, tokenRequests: 2 });
    // Every key uses the new endpoint from now on: one request each, no more discovery.
    expect(await tokens.getAccessToken(three)).toMatch(/^ey/);
    expect(fixture.server.counts).toMatchObject({ discovery: 2, grants: 3, tokenRequests: 3 });
  });

  it('after a network error reaching the token endpoint, discovers again (once per failed attempt) and recovers', async () => {
    const clock = createTestClock();
    fixture.server.tokenEndpointAt = await deadUrl();
    const tokens = source(clock);
    const error = await tokens.getAccessToken(one).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'transient' });
    // Discovered, refused, discovered again (still the dead endpoint): no retry of the request.
    expect(fixture.server.counts).toMatchObject({ discovery: 2, tokenRequests: 0 });

    fixture.server.tokenEndpointAt = fixture.server.tokenEndpoint;
    await clock.advance(1_000); // past the backoff: the retry meets the dead endpoint, re-discovers, and succeeds
    await expect.poll(() => tokens.session(one).getSnapshot().status, { interval: 2 }).toBe('active');
    expect(await tokens.getAccessToken(one)).toMatch(/^ey/);
    expect(fixture.server.counts).toMatchObject({ discovery: 3, tokenRequests: 1, grants: 1 });
  });

  it('does not discover again for a failure that says nothing about the endpoint (invalid_scope, 503)', async () => {
    const clock = createTestClock();
    const tokens = source(clock);
    await tokens.getAccessToken(one).catch(() => undefined);
    await expect(tokens.getAccessToken({ ...two, scope: 'admin' })).rejects.toMatchObject({ oauthError: 'invalid_scope' });
    fixture.server.fault = () => ({ status: 503, body: 'down' });
    await expect(tokens.getAccessToken(three)).rejects.toMatchObject({ status: 503 });
    expect(fixture.server.counts.discovery).toBe(1);
  });

  it('discovers again at most daily, by the injected clock', async () => {
    const clock = createTestClock();
    const tokens = source(clock);
    await tokens.getAccessToken(one);
    clock.jump(23 * HOUR);
    await tokens.getAccessToken(one); // expired: refreshed with the 23-hour-old metadata
    expect(fixture.server.counts).toMatchObject({ discovery: 1, grants: 2 });
    clock.jump(HOUR);
    await tokens.getAccessToken(one);
    expect(fixture.server.counts).toMatchObject({ discovery: 2, grants: 3 });
    await tokens.getAccessToken(two);
    expect(fixture.server.counts).toMatchObject({ discovery: 2, grants: 4 });
  });

  it('keeps the metadata it has while the daily discovery fails, and tries again a minute later', async () => {
    const clock = createTestClock();
    const tokens = source(clock);
    await tokens.getAccessToken(one);
    clock.jump(25 * HOUR);
    fixture.server.discoveryStatus = 503;
    expect(await tokens.getAccessToken(two)).toMatch(/^ey/);
    expect(await tokens.getAccessToken(three)).toMatch(/^ey/);
    expect(fixture.server.counts).toMatchObject({ discovery: 2, grants: 3 });
    clock.jump(60_000);
    fixture.server.discoveryStatus = undefined;
    expect(await tokens.getAccessToken({ ...one, scope: 'write' })).toMatch(/^ey/);
    expect(fixture.server.counts).toMatchObject({ discovery: 3, grants: 4 });
  });
});
