import { createRemoteJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { parseSetCookie } from './helpers/cookie-jar.js';
import { CLIENT_ID, CLIENT_SECRET, oidcSetup } from './helpers/oidc-setup.js';

const cookiesOf = (response: Response) => new Map(response.headers.getSetCookie().map(parseSetCookie).map((cookie) => [cookie.name, cookie]));

describe('OpenID upstream: sign-in', () => {
  it('GET /auth/login redirects to the provider with PKCE S256, state and nonce, and keeps the secrets in a sealed Lax cookie on the callback path', async () => {
    const { app, issuer } = await oidcSetup();
    const login = await fetch(`${app}/auth/login`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    const location = new URL(login.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(`${issuer}/auth`);
    const params = Object.fromEntries(location.searchParams);
    expect(params).toMatchObject({ client_id: CLIENT_ID, response_type: 'code', redirect_uri: `${app}/auth/callback`, scope: 'openid offline_access', code_challenge_method: 'S256' });
    expect(params.state).toMatch(/^[\w-]{43}$/);
    expect(params.nonce).toMatch(/^[\w-]{43}$/);
    expect(params.code_challenge).toMatch(/^[\w-]{43}$/);
    const flow = cookiesOf(login).get(`tw_oidc_${params.state}`)!;
    expect(Object.fromEntries(flow.attributes)).toEqual({ 'max-age': '600', path: '/auth/callback', samesite: 'Lax', httponly: true });
    // A JWE: five parts, and neither the state nor the nonce readable in it.
    expect(flow.value.split('.')).toHaveLength(5);
    expect(flow.value).not.toContain(params.state);
    expect(login.headers.get('cache-control')).toBe('no-store');
  });

  it('the callback sets the same cookies and family as a password login; /auth/refresh then works as the contract says', async () => {
    const { app, events, browser } = await oidcSetup();
    const alice = browser();
    const callback = await alice.signIn('?returnTo=%2Fnotes%3Fid%3D1');
    expect([callback.status, callback.headers.get('location')]).toEqual([303, '/notes?id=1']);
    const set = cookiesOf(callback);
    expect(Object.fromEntries(set.get('tw_refresh')!.attributes)).toMatchObject({ path: '/auth', samesite: 'Strict', httponly: true });
    expect(set.get('tw_refresh')!.value).toMatch(/^[\w-]{43}$/);
    expect(set.get('tw_csrf')!.attributes.get('path')).toBe('/');
    // The session hint: without it a page would skip its boot refresh.
    expect(set.get('tw_session')!.value).toBe('1');
    // That sign-in's own flow cookie goes: one use.
    expect([...set.values()].filter((cookie) => cookie.name.startsWith('tw_oidc_')).map((cookie) => cookie.attributes.get('max-age'))).toEqual(['0']);
    expect(events.filter((event) => event.type === 'login')).toEqual([{ type: 'login', sub: 'alice', familyId: expect.any(String), mode: 'bearer' }]);

    const first = await alice.request(`${app}/auth/refresh`, { method: 'POST', csrf: true });
    expect(first.status).toBe(200);
    const body = (await first.json()) as { access_token: string; token_type: string; expires_in: number };
    expect([body.token_type, body.expires_in]).toEqual(['Bearer', 300]);
    const { payload } = await jwtVerify(body.access_token, createRemoteJWKSet(new URL(`${app}/.well-known/jwks.json`)), { issuer: app, audience: `${app}/api` });
    expect(payload.sub).toBe('alice');
    // Rotation as for a local login: the old refresh token is now a parent.
    expect(cookiesOf(first).get('tw_refresh')!.value).not.toBe(set.get('tw_refresh')!.value);
    const noCsrf = await alice.request(`${app}/auth/refresh`, { method: 'POST' });
    expect(noCsrf.status).toBe(403);
  });

  it('logout revokes the provider refresh token at the provider, clears the cookies, and offers RP-initiated logout', async () => {
    const { app, issuer, provider, counts, refreshTokens, events, browser } = await oidcSetup();
    const alice = browser();
    await alice.signIn();
    expect(refreshTokens).toHaveLength(1);
    expect(await provider.RefreshToken.find(refreshTokens[0]!)).toBeDefined();
    const logout = await alice.request(`${app}/auth/logout`, { method: 'POST', csrf: true });
    expect(logout.status).toBe(200);
    const { end_session_url } = (await logout.json()) as { end_session_url: string };
    const end = new URL(end_session_url);
    expect(end.origin + end.pathname).toBe(`${issuer}/session/end`);
    expect(Object.fromEntries(end.searchParams)).toEqual({ client_id: CLIENT_ID, post_logout_redirect_uri: `${app}/` });
    expect([...cookiesOf(logout).values()].map((cookie) => [cookie.name, cookie.attributes.get('max-age')])).toEqual([
      ['tw_refresh', '0'],
      ['tw_access', '0'],
      ['tw_csrf', '0'],
      ['tw_session', '0'],
    ]);
    expect(counts.revocation).toBe(1);
    expect(await provider.RefreshToken.find(refreshTokens[0]!)).toBeUndefined();
    expect(events.at(-1)).toEqual({ type: 'logout', familyId: expect.any(String), upstreamRevoked: true });
    expect((await alice.request(`${app}/auth/refresh`, { method: 'POST', csrf: true })).status).toBe(401);
  });

  it('sign-ins started at once in one browser (every tab sent to sign in) each complete, in any order', async () => {
    const { counts, events, browser } = await oidcSetup();
    const alice = browser();
    const first = await alice.startLogin('?returnTo=%2Ffirst');
    const second = await alice.startLogin('?returnTo=%2Fsecond');
    const answers = [await alice.request(second.href), await alice.request(first.href)];
    expect(answers.map((answer) => [answer.status, answer.headers.get('location')])).toEqual([[303, '/second'], [303, '/first']]);
    expect(counts.token).toBe(2);
    expect(events.filter((event) => event.type === 'login')).toHaveLength(2);
  });

  it("upstreamClaims picks the local access token's claims from the validated ID token", async () => {
    const seen: Record<string, unknown>[] = [];
    const { app, issuer, browser } = await oidcSetup({ upstreamClaims: (claims) => (seen.push({ ...claims }), { idp: claims.iss, roles: ['user'] }) });
    const alice = browser();
    await alice.signIn();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ sub: 'alice', iss: issuer, aud: CLIENT_ID, nonce: expect.any(String) });
    const response = await alice.request(`${app}/auth/refresh`, { method: 'POST', csrf: true });
    const { access_token } = (await response.json()) as { access_token: string };
    const { payload } = await jwtVerify(access_token, createRemoteJWKSet(new URL(`${app}/.well-known/jwks.json`)), { issuer: app, audience: `${app}/api` });
    expect(payload).toMatchObject({ sub: 'alice', idp: issuer, roles: ['user'] });
  });
});

describe('OpenID upstream: attacks', () => {
  it('refuses a forged state before any token request, and sets no session', async () => {
    const { counts, browser, events } = await oidcSetup();
    const mallory = browser();
    const callback = await mallory.startLogin();
    callback.searchParams.set('state', 'forged-state-forged-state-forged-state-0000');
    const response = await mallory.request(callback.href);
    expect([response.status, await response.json()]).toEqual([400, { error: 'invalid_state' }]);
    expect(counts.token).toBe(0);
    expect(mallory.jar.get('tw_refresh')).toBeUndefined();
    expect(events.at(-1)).toEqual({ type: 'login_failed', reason: 'invalid_state' });
  });

  it('refuses a state that is not base64url before it can name a cookie: no Set-Cookie, no token request', async () => {
    const { counts, browser } = await oidcSetup();
    const mallory = browser();
    const callback = await mallory.startLogin();
    callback.searchParams.set('state', `${callback.searchParams.get('state')}; Domain=evil.test`);
    const response = await mallory.request(callback.href);
    expect([response.status, await response.json()]).toEqual([400, { error: 'invalid_state' }]);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(counts.token).toBe(0);
  });

  it('refuses a replayed code, even with the flow cookie replayed too', async () => {
    const { counts, browser } = await oidcSetup();
    const alice = browser();
    const callback = await alice.startLogin();
    const name = `tw_oidc_${callback.searchParams.get('state')}`;
    const flowCookie = alice.jar.get(name)!;
    expect((await alice.request(callback.href)).status).toBe(303);
    const attacker = browser();
    attacker.jar.set(name, flowCookie, '/auth/callback');
    const replay = await attacker.request(callback.href);
    expect([replay.status, await replay.json()]).toEqual([400, { error: 'invalid_grant' }]);
    expect(attacker.jar.get('tw_refresh')).toBeUndefined();
    expect(counts.token).toBe(2);
  });

  it('refuses a callback without the PKCE verifier: no flow cookie sends nothing to the provider, and the provider refuses the code without it', async () => {
    const { issuer, app, counts, browser } = await oidcSetup();
    const alice = browser();
    const callback = await alice.startLogin();
    const stranger = browser();
    const response = await stranger.request(callback.href);
    expect([response.status, await response.json()]).toEqual([400, { error: 'invalid_state' }]);
    expect(counts.token).toBe(0);
    // Whoever steals the code still lacks the verifier, which only the sealed cookie holds.
    const direct = await fetch(`${issuer}/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: `${app}/auth/callback`, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
    });
    expect(direct.status).toBe(400);
    expect(((await direct.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it.each([['https://evil.test/x'], ['//evil.test'], ['/\\evil.test'], ['/\t/evil.test'], ['http://127.0.0.1:1/x']])('never returns to another origin: returnTo %j lands on /', async (returnTo) => {
    const { browser } = await oidcSetup();
    const callback = await browser().signIn(`?returnTo=${encodeURIComponent(returnTo)}`);
    expect([callback.status, callback.headers.get('location')]).toEqual([303, '/']);
  });

  it('refuses a tampered flow cookie as invalid_state', async () => {
    const { counts, browser } = await oidcSetup();
    const alice = browser();
    const callback = await alice.startLogin();
    const name = `tw_oidc_${callback.searchParams.get('state')}`;
    const flow = alice.jar.get(name)!;
    // One character of the ciphertext changed (its first: all six bits count; the last characters of
    // a base64url segment may carry unused bits, so changing them can leave the bytes as they were).
    const parts = flow.split('.');
    parts[3] = (parts[3]!.startsWith('A') ? 'B' : 'A') + parts[3]!.slice(1);
    alice.jar.set(name, parts.join('.'), '/auth/callback');
    const response = await alice.request(callback.href);
    expect(response.status).toBe(400);
    expect(counts.token).toBe(0);
  });
});
