import { compactDecrypt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, type FamilyRecord, type RefreshStore } from '../src/index.js';
import { dpopKey } from './helpers/dpop-key.js';
import { ENCRYPTION_KEY, oidcSetup, type OidcSetup } from './helpers/oidc-setup.js';

/** The handler's clock, moved by the test; the provider keeps real time. */
function testClock() {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms: number) => (offset += ms) };
}

/** A memory store that shows what it was given: the records as stored. */
function recordingStore(): { store: RefreshStore; records: FamilyRecord[] } {
  const inner = createMemoryStore();
  const records: FamilyRecord[] = [];
  const store: RefreshStore = {
    ...inner,
    create: (record) => (records.push(record), inner.create(record)),
    compareAndSwap: (next, version) => (records.push(next), inner.compareAndSwap(next, version)),
  };
  return { store, records };
}

async function refreshGrants(setup: OidcSetup): Promise<number> {
  return setup.counts.token - 1; // the first token request was the code exchange
}

describe('OpenID upstream: refresh behind /auth/refresh', () => {
  it('refreshes at the provider only when its access token is near expiry, once for 30 concurrent page refreshes', async () => {
    const clock = testClock();
    const setup = await oidcSetup({ clock: clock.now, providerAccessTtl: 600, accessTtlSeconds: 60 });
    const alice = setup.browser();
    await alice.signIn();
    const refresh = () => alice.request(`${setup.app}/auth/refresh`, { method: 'POST', csrf: true });
    expect((await refresh()).status).toBe(200);
    clock.advance(400_000);
    expect((await refresh()).status).toBe(200);
    expect(await refreshGrants(setup)).toBe(0);

    clock.advance(150_000); // 50 s of the provider's 600 left: due
    const burst = await Promise.all(Array.from({ length: 30 }, () => refresh()));
    expect(burst.map((response) => response.status)).toEqual(Array(30).fill(200));
    expect(await refreshGrants(setup)).toBe(1);
    // The new provider tokens were kept: not due again for another ~540 s.
    clock.advance(60_000);
    expect((await refresh()).status).toBe(200);
    expect(await refreshGrants(setup)).toBe(1);
    clock.advance(500_000);
    expect((await refresh()).status).toBe(200);
    expect(await refreshGrants(setup)).toBe(2);
  });

  it('a tab presenting the parent in its grace window gets the rotation\'s answer without a second provider refresh', async () => {
    const clock = testClock();
    const setup = await oidcSetup({ clock: clock.now, providerAccessTtl: 600 });
    const alice = setup.browser();
    await alice.signIn();
    const lagging = setup.browser();
    lagging.jar.set('tw_refresh', alice.jar.get('tw_refresh')!, '/auth');
    lagging.jar.set('tw_csrf', alice.jar.get('tw_csrf')!, '/');
    clock.advance(555_000);
    const rotated = await alice.request(`${setup.app}/auth/refresh`, { method: 'POST', csrf: true });
    const grace = await lagging.request(`${setup.app}/auth/refresh`, { method: 'POST', csrf: true });
    expect([rotated.status, grace.status]).toEqual([200, 200]);
    expect(lagging.jar.get('tw_refresh')).toBe(alice.jar.get('tw_refresh'));
    expect(await refreshGrants(setup)).toBe(1);
    expect(setup.events.map((event) => event.type).filter((type) => type === 'refresh' || type === 'grace')).toEqual(['refresh', 'grace']);
  });

  it("a copied refresh cookie of a DPoP-bound family, without the key's proof, spends nothing at the provider", async () => {
    const clock = testClock();
    const setup = await oidcSetup({ clock: clock.now, providerAccessTtl: 600, dpop: true });
    const alice = setup.browser();
    await alice.signIn();
    const key = await dpopKey('ES256', clock.now);
    const refresh = async (browser: typeof alice, proof: boolean) =>
      browser.request(`${setup.app}/auth/refresh`, { method: 'POST', csrf: true, headers: proof ? { dpop: await key.proof('POST', `${setup.app}/auth/refresh`) } : {} });
    expect((await refresh(alice, true)).status).toBe(200); // the first proof binds the family to the key
    const thief = setup.browser();
    thief.jar.set('tw_refresh', alice.jar.get('tw_refresh')!, '/auth');
    thief.jar.set('tw_csrf', alice.jar.get('tw_csrf')!, '/');
    clock.advance(560_000); // the provider's access token is due
    expect((await refresh(thief, false)).status).toBe(401);
    expect(setup.events.at(-1)).toEqual({ type: 'invalid_grant', reason: 'dpop_key' });
    expect(await refreshGrants(setup)).toBe(0);
    // The key's holder still refreshes, at the provider too, and keeps the session.
    expect((await refresh(alice, true)).status).toBe(200);
    expect(await refreshGrants(setup)).toBe(1);
  });

  it("maps the provider's invalid_grant to the contract's 401 invalid_grant after one provider request, and the session is gone", async () => {
    const clock = testClock();
    const setup = await oidcSetup({ clock: clock.now, providerAccessTtl: 600 });
    const alice = setup.browser();
    await alice.signIn();
    // The provider ends the session (an admin, a password reset): its refresh token is gone.
    const token = await setup.provider.RefreshToken.find(setup.refreshTokens[0]!);
    await token!.destroy();
    clock.advance(560_000);
    const refused = await Promise.all(Array.from({ length: 5 }, () => alice.request(`${setup.app}/auth/refresh`, { method: 'POST', csrf: true })));
    for (const response of refused) expect([response.status, await response.json()]).toEqual([401, { error: 'invalid_grant' }]);
    expect(await refreshGrants(setup)).toBe(1);
    // The burst shared one refresh cookie: the first met the provider's refusal, the others the revoked family.
    expect(setup.events.filter((event) => event.type === 'invalid_grant')).toEqual([
      { type: 'invalid_grant', reason: 'upstream' },
      ...Array(4).fill({ type: 'invalid_grant', reason: 'unknown' }),
    ]);
    expect(alice.jar.get('tw_refresh')).toBeUndefined();
    expect(setup.events.filter((event) => event.type === 'refresh')).toHaveLength(0);
  });

  it("accessToken: 'upstream' gives the page the provider's access token; the store holds the provider's tokens only encrypted", async () => {
    const { store, records } = recordingStore();
    const setup = await oidcSetup({ accessToken: 'upstream', store, providerAccessTtl: 600 });
    const alice = setup.browser();
    await alice.signIn();
    const response = await alice.request(`${setup.app}/auth/refresh`, { method: 'POST', csrf: true });
    const body = (await response.json()) as { access_token: string; expires_in: number };
    expect(await setup.provider.AccessToken.find(body.access_token)).toMatchObject({ accountId: 'alice', clientId: 'bff-app' });
    expect(body.expires_in).toBeGreaterThan(590);
    expect(body.expires_in).toBeLessThanOrEqual(600);
    const sealed = records[0]!.upstream!;
    expect(sealed.split('.')).toHaveLength(5);
    expect(JSON.stringify(records)).not.toContain(body.access_token);
    const { plaintext, protectedHeader } = await compactDecrypt(sealed, ENCRYPTION_KEY);
    expect(protectedHeader).toEqual({ alg: 'dir', enc: 'A256GCM' });
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toMatchObject({ accessToken: body.access_token, refreshToken: expect.any(String), pur: 'tokens' });
  });
});
