// The sessions of createClientCredentials, one per key, against a real oidc-provider on the test
// clock: a bounded LRU whose evicted (or user-disposed) sessions leave, and refresh-ahead only for
// keys someone asked for within one token lifetime.
import type { Session } from '@tokenward/core';
import { createTestClock, type TestClock } from '@tokenward/core/testing';
import { createClientCredentials, type ClientCredentials, type ClientCredentialsOptions, type TokenKey } from '@tokenward/node';
import { describe, expect, it } from 'vitest';
import { clientIds, clientSecret, resourceServers } from './helpers/create-auth-server.js';
import { useClientCredentials } from './helpers/use-client-credentials.js';

const TTL_S = 60;
const fixture = useClientCredentials({ accessTokenTTL: TTL_S });

function source(clock: TestClock, options: Partial<ClientCredentialsOptions> = {}): ClientCredentials {
  return fixture.source({ audienceParameter: 'resource', clock, random: () => 0, ...options });
}

/** 9 distinct keys the provider grants. */
const keys: TokenKey[] = resourceServers.flatMap((audience) => ['read', 'write', 'read write'].map((scope) => ({ audience, scope })));

/**
 * Lets `ms` pass on the test clock in 5 s steps; after each, waits (in real time) until no
 * session has a refresh at the real server, so no refresh ever times out on the test clock.
 */
async function pass(clock: TestClock, ms: number, sessions: Session[]): Promise<void> {
  for (let passed = 0; passed < ms; passed += 5_000) {
    await clock.advance(Math.min(5_000, ms - passed));
    await expect.poll(() => sessions.every((session) => session.getSnapshot().status !== 'refreshing'), { interval: 2, timeout: 5_000 }).toBe(true);
  }
}

const MINUTE = 60_000;

describe('the session cache', () => {
  it('keeps at most maxKeys sessions: the least recently used one is disposed, and asking for its key again makes a new one', async () => {
    const clock = createTestClock();
    const tokens = source(clock, { maxKeys: 2 });
    const a = tokens.session(keys[0]);
    const b = tokens.session(keys[1]);
    await Promise.all([a.getAccessToken(), b.getAccessToken()]);
    await clock.advance(1_000);
    await a.getAccessToken(); // b is now the least recently used
    const third = tokens.session(keys[2]);
    await third.getAccessToken();
    expect(fixture.server.counts.grants).toBe(3);

    await expect(b.getAccessToken()).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
    expect(tokens.session(keys[0])).toBe(a);
    expect(tokens.session(keys[2])).toBe(third);
    // Asking for keys[1] again evicts keys[0] (used before keys[2]) and makes one grant.
    const again = tokens.session(keys[1]);
    expect(again).not.toBe(b);
    await again.getAccessToken();
    expect(fixture.server.counts.grants).toBe(4);
    await expect(a.getAccessToken()).rejects.toMatchObject({ code: 'ERR_DISPOSED' });

    // Only the two live sessions refresh ahead: one grant each at 30 s.
    await pass(clock, 35_000, [third, again]);
    expect(fixture.server.counts.grants).toBe(6);
  });

  it('forgets a session its user disposed: the key gets a new, working session', async () => {
    const clock = createTestClock();
    const tokens = source(clock);
    const first = tokens.session(keys[0]);
    await first.getAccessToken();
    first.dispose();
    const second = tokens.session(keys[0]);
    expect(second).not.toBe(first);
    expect(await tokens.getAccessToken(keys[0])).toMatch(/^ey/);
    expect(tokens.session({ ...keys[0], scope: ['read', 'read'] })).toBe(second);
    expect(fixture.server.counts.grants).toBe(2);
  });

  it('refuses a maxKeys that is not a positive integer with ERR_CONFIG', () => {
    for (const maxKeys of [0, -1, 1.5, Number.NaN]) {
      expect(() => createClientCredentials({ issuer: fixture.server.issuer, clientId: clientIds.basic, clientSecret, maxKeys })).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG' }),
      );
    }
  });
});

describe('refresh-ahead for idle keys', () => {
  it('9 keys asked for once make exactly 3 grants each (boot, then refresh-ahead within one lifetime) in 20 idle minutes', async () => {
    const clock = createTestClock();
    const tokens = source(clock);
    const sessions = keys.map((key) => tokens.session(key));
    await Promise.all(sessions.map((session) => session.getAccessToken()));
    expect(fixture.server.counts.grants).toBe(9);
    await pass(clock, 10 * MINUTE, sessions);
    // Refreshed at 30 s (idle 30 s) and at 60 s (idle one lifetime); the next would come after 90 s idle.
    expect(fixture.server.counts.grants).toBe(27);
    await pass(clock, 10 * MINUTE, sessions);
    expect(fixture.server.counts.grants).toBe(27);
    for (const session of sessions) expect(session.getSnapshot()).toMatchObject({ status: 'active' });
  }, 60_000);

  it('the next demand on an idle key refreshes on demand, and the key refreshes ahead again while in use', async () => {
    const clock = createTestClock();
    const tokens = source(clock);
    const session = tokens.session(keys[0]);
    await session.getAccessToken();
    await pass(clock, 10 * MINUTE, [session]);
    expect(fixture.server.counts.grants).toBe(3);

    // The token expired long ago: this caller waits for one grant, on demand.
    const token = await tokens.getAccessToken(keys[0]);
    expect(fixture.server.counts.grants).toBe(4);
    expect(session.getSnapshot().expiresAt).toBe(clock.now() + TTL_S * 1_000);

    // In use every 20 s for 5 minutes: refreshed ahead every 30 s, and no caller waits for one.
    const served: string[] = [token];
    for (let second = 20; second <= 300; second += 20) {
      await pass(clock, 20_000, [session]);
      served.push(await session.getAccessToken());
      expect(session.getSnapshot().status).toBe('active');
    }
    expect(fixture.server.counts.grants).toBe(4 + 10);
    expect(new Set(served).size).toBe(11);
    // Then idle again: two more refreshes within one lifetime of the last demand, then none.
    await pass(clock, 10 * MINUTE, [session]);
    expect(fixture.server.counts.grants).toBe(4 + 10 + 2);
  }, 60_000);

  it('stops retrying in the background for an idle key whose endpoint fails, and the next demand retries', async () => {
    const clock = createTestClock();
    // Backoff of 19.98 s: refresh-ahead at 36 s fails, its retry (before 60 s) fails, and the next
    // retry would come more than one lifetime after the demand.
    const tokens = source(clock, { random: () => 0.999, policy: { backoffMs: 20_000, maxBackoffMs: 20_000 } });
    const session = tokens.session(keys[0]);
    await session.getAccessToken();
    fixture.server.fault = () => ({ status: 503, body: 'down' });
    await pass(clock, 10 * MINUTE, [session]);
    expect(fixture.server.counts.tokenRequests).toBe(1 + 2);
    expect(session.getSnapshot().status).toBe('backoff');
    await pass(clock, 10 * MINUTE, [session]);
    expect(fixture.server.counts.tokenRequests).toBe(1 + 2);

    fixture.server.fault = undefined;
    expect(await session.getAccessToken()).toMatch(/^ey/);
    expect(fixture.server.counts.grants).toBe(2);
  }, 60_000);

  it("keeps the server's Retry-After for an idle key: a demand before the retry is due makes no call", async () => {
    const clock = createTestClock();
    const tokens = source(clock);
    const session = tokens.session(keys[0]);
    const token = await session.getAccessToken();
    // Refresh-ahead at 30 s meets a 10-minute Retry-After: a retry that far is past one lifetime.
    fixture.server.fault = () => ({ status: 503, headers: { 'retry-after': '600' }, body: 'down' });
    await pass(clock, 45_000, [session]);
    expect(fixture.server.counts.tokenRequests).toBe(2);
    fixture.server.fault = undefined;
    expect(await session.getAccessToken()).toBe(token); // still valid: served, no call
    await pass(clock, 60_000, [session]);
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_REFRESH_FAILED', status: 503 });
    expect(fixture.server.counts.tokenRequests).toBe(2);
    await pass(clock, 10 * MINUTE, [session]);
    expect(await session.getAccessToken()).not.toBe(token); // the retry was due: one call, on demand
    expect(fixture.server.counts.tokenRequests).toBe(3);
  }, 60_000);
});
