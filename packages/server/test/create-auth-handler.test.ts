import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthHandler, createMemoryStore } from '../src/index.js';
import { AUDIENCE, ISSUER, authenticate, body, setup, Client } from './helpers/harness.js';

async function accessToken(response: Response): Promise<string> {
  return String((await body(response)).access_token);
}

describe('login', () => {
  it('signs in with what authenticate returns: an ES256 at+jwt with its claims, and a 256-bit refresh token', async () => {
    const { auth, client, count } = setup({ accessTtlSeconds: 60 });
    const browser = client();
    const login = await browser.login('root');
    expect(login.status).toBe(200);
    const token = await accessToken(login);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await auth.jwks()), { issuer: ISSUER, audience: AUDIENCE });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: 'root', roles: ['admin'], scope: 'notes:read', jti: expect.any(String) });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(browser.refreshToken).toMatch(/^[\w-]{43}$/);
    expect(count('login')).toBe(1);
  });

  it('refuses what authenticate refuses with 401 invalid_credentials, and issues nothing', async () => {
    const { client, count } = setup();
    const browser = client();
    const wrong = await browser.login('alice', 'bearer', 'alice');
    expect([wrong.status, await body(wrong)]).toEqual([401, { error: 'invalid_credentials' }]);
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect([count('login'), count('login_failed')]).toEqual([0, 1]);
  });

  it('accepts only a JSON object body with a known mode', async () => {
    const { client } = setup();
    const browser = client();
    const form = await browser.request('/auth/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, csrf: false });
    expect([form.status, await body(form)]).toEqual([415, { error: 'unsupported_media_type' }]);
    expect((await browser.request('/auth/login', { json: ['alice'] })).status).toBe(400);
    expect((await browser.request('/auth/login', { json: { username: 'alice', password: 'ecila', mode: 'x' } })).status).toBe(400);
  });

  it('never trusts claims over the registered ones: authenticate cannot set sub, iss, aud or exp', async () => {
    const { auth, client } = setup({ authenticate: () => ({ sub: 'alice', claims: { sub: 'root', iss: 'evil', aud: 'evil', exp: 1e12, tenant: 't1' } }) });
    const token = await accessToken(await client().login());
    const { payload } = await jwtVerify(token, createLocalJWKSet(await auth.jwks()), { issuer: ISSUER, audience: AUDIENCE });
    expect(payload).toMatchObject({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, tenant: 't1' });
  });
});

describe('refresh', () => {
  it('rotates the refresh token on every refresh and re-issues the claims', async () => {
    const { auth, client, count } = setup();
    const browser = client();
    await browser.login('root');
    const seen = new Set([browser.refreshToken]);
    for (let i = 0; i < 3; i++) {
      const response = await browser.refresh();
      expect(response.status).toBe(200);
      const { payload } = await jwtVerify(await accessToken(response), createLocalJWKSet(await auth.jwks()), { issuer: ISSUER, audience: AUDIENCE });
      expect(payload.roles).toEqual(['admin']);
      seen.add(browser.refreshToken);
    }
    expect(seen.size).toBe(4);
    expect(count('refresh')).toBe(3);
  });

  it('answers a parent token inside graceMs with the current child, without rotating again', async () => {
    const { client, clock, count } = setup({ graceMs: 5000 });
    const browser = client();
    await browser.login();
    const parent = browser.refreshToken!;
    await browser.refresh();
    const child = browser.refreshToken!;
    clock.advance(4999);
    const lagging = browser.withRefreshToken(parent);
    expect((await lagging.refresh()).status).toBe(200);
    expect(lagging.refreshToken).toBe(child);
    expect((await browser.refresh()).status).toBe(200); // the child is still current
    expect(browser.refreshToken).not.toBe(child);
    expect([count('refresh'), count('grace'), count('reuse')]).toEqual([2, 1, 0]);
  });

  it('revokes the whole family when a rotated token comes back after graceMs', async () => {
    const { client, clock, count, logs } = setup({ graceMs: 5000 });
    const browser = client();
    await browser.login();
    const parent = browser.refreshToken!;
    await browser.refresh();
    clock.advance(5000);
    const thief = browser.withRefreshToken(parent);
    const replay = await thief.refresh();
    expect([replay.status, await body(replay)]).toEqual([401, { error: 'invalid_grant' }]);
    expect(replay.headers.getSetCookie()).toEqual(['tw_refresh=; Max-Age=0; Path=/auth; SameSite=Strict; HttpOnly', 'tw_session=; Max-Age=0; Path=/; SameSite=Strict']);
    expect((await browser.refresh()).status).toBe(401); // the holder of the current child is out too
    expect(count('reuse')).toBe(1);
    expect(logs).toEqual([expect.stringMatching(/^tokenward: a rotated refresh token came back after the grace window; family [\w-]+ revoked$/)]);
  });

  it('with graceMs 0 revokes on any reuse, even immediate', async () => {
    const { client, count } = setup({ graceMs: 0 });
    const browser = client();
    await browser.login();
    const parent = browser.refreshToken!;
    await browser.refresh();
    expect((await browser.withRefreshToken(parent).refresh()).status).toBe(401);
    expect((await browser.refresh()).status).toBe(401);
    expect(count('reuse')).toBe(1);
  });

  it('answers 401 invalid_grant for a missing or unknown refresh cookie', async () => {
    const { client, events } = setup();
    const browser = client();
    const missing = await browser.refresh();
    expect([missing.status, await body(missing)]).toEqual([401, { error: 'invalid_grant' }]);
    // A cookieless refresh (a tab booting while another signs in) clears nothing; an unknown one does.
    expect(missing.headers.getSetCookie()).toEqual([]);
    const unknown = await browser.withRefreshToken('not-a-token').refresh();
    expect(unknown.status).toBe(401);
    expect(unknown.headers.getSetCookie().map((line) => line.split('=')[0])).toEqual(['tw_refresh', 'tw_session']);
    expect(events).toEqual([{ type: 'invalid_grant', reason: 'missing' }, { type: 'invalid_grant', reason: 'unknown' }]);
  });

  it('slides the idle lifetime on each rotation, and the cookie Max-Age follows it', async () => {
    const { client, clock } = setup({ idleTtlSeconds: 600, absoluteTtlSeconds: 3600 });
    const browser = client();
    const login = await browser.login();
    expect(login.headers.getSetCookie()[0]).toMatch(/^tw_refresh=[\w-]{43}; Max-Age=600; Path=\/auth;/);
    for (let i = 0; i < 3; i++) {
      clock.advance(599_000);
      expect((await browser.refresh()).status).toBe(200);
    }
    clock.advance(600_000);
    expect((await browser.refresh()).status).toBe(401);
  });

  it('ends a session at absoluteTtlSeconds however active it is', async () => {
    const { client, clock, events } = setup({ idleTtlSeconds: 600, absoluteTtlSeconds: 1000 });
    const browser = client();
    await browser.login();
    clock.advance(500_000);
    const late = await browser.refresh();
    expect(late.status).toBe(200);
    // The idle deadline (now + 600 s) is capped by the absolute one, 500 s away.
    expect(late.headers.getSetCookie()[0]).toMatch(/^tw_refresh=[\w-]{43}; Max-Age=500;/);
    clock.advance(499_000);
    expect((await browser.refresh()).status).toBe(200);
    clock.advance(1_000);
    expect((await browser.refresh()).status).toBe(401);
    expect(events.at(-1)).toEqual({ type: 'invalid_grant', reason: 'expired' });
  });

  it('prunes expired families from the store as time passes', async () => {
    const store = createMemoryStore();
    const { client, clock } = setup({ store, idleTtlSeconds: 60 });
    await client().login();
    await client().login();
    expect(store.size).toBe(2);
    clock.advance(61_000);
    await client().refresh(); // any request to the routes runs the periodic prune
    await expect.poll(() => store.size).toBe(0);
  });

  it('rotates once for concurrent refreshes through two instances sharing one store; the rest get the grace answer', async () => {
    const store = createMemoryStore();
    // Two instances of one deployment sharing one store (and nothing else: no shared secret).
    const kinds: string[] = [];
    const [one, two] = [0, 1].map(() =>
      createAuthHandler({ authenticate, issuer: ISSUER, audience: AUDIENCE, store, onEvent: (event) => kinds.push(event.type) }),
    );
    try {
      const browser = new Client(one!, 'http://localhost:3000', '203.0.113.1');
      await browser.login();
      const token = browser.refreshToken!;
      const tabs = Array.from({ length: 20 }, (_, i) => new Client(i % 2 ? two! : one!, 'http://localhost:3000', '203.0.113.1').withRefreshToken(token));
      const answers = await Promise.all(tabs.map((tab) => tab.refresh()));
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      expect(new Set(tabs.map((tab) => tab.refreshToken)).size).toBe(1);
      expect(tabs[0]!.refreshToken).not.toBe(token);
      expect(store.size).toBe(1);
      expect(['login', 'refresh', 'grace', 'reuse'].map((kind) => kinds.filter((seen) => seen === kind).length)).toEqual([1, 1, 19, 0]);
    } finally {
      await Promise.all([one!.close(), two!.close()]);
    }
  });
});

describe('logout', () => {
  it('revokes the family and clears the refresh, access and CSRF cookies', async () => {
    const { client, count } = setup();
    const browser = client();
    await browser.login('alice', 'cookie');
    const token = browser.refreshToken!;
    const logout = await browser.logout();
    expect(logout.status).toBe(204);
    expect(logout.headers.getSetCookie()).toEqual([
      'tw_refresh=; Max-Age=0; Path=/auth; SameSite=Strict; HttpOnly',
      'tw_access=; Max-Age=0; Path=/api; SameSite=Strict; HttpOnly',
      'tw_csrf=; Max-Age=0; Path=/; SameSite=Strict',
      'tw_session=; Max-Age=0; Path=/; SameSite=Strict',
    ]);
    expect((await browser.withRefreshToken(token).refresh()).status).toBe(401);
    expect([count('logout'), count('reuse')]).toEqual([1, 0]);
  });

  it('revokeUser ends every session of a user and revokeFamily one session', async () => {
    const { auth, client, events } = setup();
    const [laptop, phone, other] = [client(), client(), client()];
    await laptop.login('alice');
    await phone.login('alice');
    await other.login('bob');
    expect(await auth.revokeUser('alice')).toBe(2);
    expect([(await laptop.refresh()).status, (await phone.refresh()).status, (await other.refresh()).status]).toEqual([401, 401, 200]);
    const bobFamily = events.find((event) => event.type === 'login' && event.sub === 'bob');
    expect(await auth.revokeFamily(bobFamily?.type === 'login' ? bobFamily.familyId : '')).toBe(true);
    expect((await other.refresh()).status).toBe(401);
  });
});

describe('CSRF', () => {
  it('refuses refresh and logout without the header, or with one that does not match the cookie', async () => {
    const { client, count } = setup();
    const browser = client();
    await browser.login();
    const token = browser.refreshToken;
    for (const response of [
      await browser.refresh({ csrf: false }),
      await browser.refresh({ csrf: 'guessed' }),
      await browser.logout({ csrf: false }),
      await browser.logout({ csrf: '' }),
    ]) {
      expect([response.status, await body(response)]).toEqual([403, { error: 'csrf' }]);
    }
    expect(browser.refreshToken).toBe(token); // nothing rotated, nothing revoked
    expect((await browser.refresh()).status).toBe(200);
    expect(count('csrf')).toBe(4);
  });

  it('accepts any non-empty header when no CSRF cookie exists', async () => {
    const { client } = setup();
    const browser = client();
    await browser.login();
    browser.jar.delete('tw_csrf');
    expect((await browser.refresh({ csrf: 'anything' })).status).toBe(200);
  });

  it('refuses a preflight (no CORS, ever) and answers nothing outside its routes', async () => {
    const { auth, client } = setup();
    const preflight = await client().request('/auth/refresh', { method: 'OPTIONS', csrf: false, headers: { origin: 'https://evil.example' } });
    expect([preflight.status, preflight.headers.get('allow')]).toEqual([405, 'POST']);
    expect([...preflight.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(await auth.handle(new Request('http://localhost/api/me'))).toBeUndefined();
    expect(await auth.handle(new Request('http://localhost/auth/other', { method: 'POST' }))).toBeUndefined();
  });
});

describe('JWKS', () => {
  it('rotates the signing key on schedule and publishes the current and previous public keys', async () => {
    const { auth, client, clock } = setup({ keyRotationMs: 60_000, accessTtlSeconds: 300 });
    const browser = client();
    const before = await accessToken(await browser.login());
    const oldKid = decodeProtectedHeader(before).kid;
    clock.advance(60_000);
    const after = await accessToken(await browser.refresh());
    const newKid = decodeProtectedHeader(after).kid;
    expect(newKid).not.toBe(oldKid);
    const published = await auth.handle(new Request('http://localhost/.well-known/jwks.json'));
    expect(published!.headers.get('cache-control')).toBe('no-cache');
    const jwks = (await published!.json()) as { keys: { kid: string; d?: string }[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    expect(jwks.keys.every((key) => key.d === undefined)).toBe(true); // public only
    clock.advance(60_000);
    expect((await auth.jwks()).keys.map((key) => key.kid)).not.toContain(oldKid);
  });
});
