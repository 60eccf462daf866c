import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createTokenVerifier, requireRoles, requireScopes, toNodeHandler } from '../src/index.js';
import { AUDIENCE, ISSUER, body, setup } from './helpers/harness.js';

const api = (headers: HeadersInit = {}) => new Request('http://localhost/api/notes', { headers });

async function signedIn(username = 'alice') {
  const context = setup({ accessTtlSeconds: 60 });
  const response = await context.client().login(username);
  const token = String((await body(response)).access_token);
  const verify = createTokenVerifier({ jwks: () => context.auth.jwks(), issuer: ISSUER, audience: AUDIENCE, clock: context.clock.now });
  return { ...context, token, verify };
}

describe('createTokenVerifier', () => {
  it('returns the claims of a valid token, from Authorization: Bearer or the access cookie', async () => {
    const { token, verify } = await signedIn();
    const bearer = await verify(api({ authorization: `Bearer ${token}` }));
    expect(bearer.ok && bearer.claims).toMatchObject({ sub: 'alice', roles: ['user'], iss: ISSUER, aud: AUDIENCE });
    const cookie = await verify(api({ cookie: `tw_access=${token}` }));
    expect(cookie.ok && cookie.claims.sub).toBe('alice');
    const prefixed = await verify(api({ cookie: `__Secure-tw_access=${token}` }));
    expect(prefixed.ok).toBe(true);
  });

  it('answers a missing token, or another scheme, 401 with a bare Bearer challenge (RFC 6750 3.1: no error code)', async () => {
    const { verify, token } = await signedIn();
    for (const request of [api(), api({ authorization: `Basic ${token}` })]) {
      const result = await verify(request);
      expect(result.ok).toBe(false);
      if (!result.ok) expect([result.response.status, result.response.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
    }
  });

  it('answers a forged, expired, foreign or non-access token 401 error="invalid_token"', async () => {
    const { token, verify, clock } = await signedIn();
    const [header, payload] = token.split('.');
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('alice').setExpirationTime('1h').sign(privateKey);
    for (const candidate of [`${header}.${payload}.${'A'.repeat(86)}`, foreign, 'not.a.jwt']) {
      const result = await verify(api({ authorization: `Bearer ${candidate}` }));
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect([result.response.status, result.response.headers.get('www-authenticate')]).toEqual([401, 'Bearer error="invalid_token"']);
        expect(await body(result.response)).toEqual({ error: 'invalid_token' });
      }
    }
    clock.advance(61_000); // within the 2 s tolerance
    expect((await verify(api({ authorization: `Bearer ${token}` }))).ok).toBe(true);
    clock.advance(2_000);
    expect((await verify(api({ authorization: `Bearer ${token}` }))).ok).toBe(false);
  });

  it('checks issuer and audience', async () => {
    const { token, auth } = await signedIn();
    for (const options of [{ issuer: 'https://other.test', audience: AUDIENCE }, { issuer: ISSUER, audience: 'other' }]) {
      const verify = createTokenVerifier({ jwks: await auth.jwks(), ...options });
      expect((await verify(api({ authorization: `Bearer ${token}` }))).ok).toBe(false);
    }
  });

  it('requireRoles: 403 insufficient_role unless the token has one of the roles', async () => {
    const user = await signedIn('alice');
    const admin = await signedIn('root');
    const denied = await user.verify(api({ authorization: `Bearer ${user.token}` }), requireRoles('admin'));
    expect(denied.ok).toBe(false);
    if (!denied.ok) {
      expect([denied.response.status, denied.response.headers.get('www-authenticate')]).toEqual([403, 'Bearer error="insufficient_scope"']);
      expect(await body(denied.response)).toEqual({ error: 'insufficient_role' });
    }
    const allowed = await admin.verify(api({ authorization: `Bearer ${admin.token}` }), requireRoles('owner', 'admin'));
    expect(allowed.ok && allowed.claims.sub).toBe('root');
  });

  it('requireScopes: 403 insufficient_scope naming the scopes unless the token has all of them', async () => {
    const { token, verify } = await signedIn();
    expect((await verify(api({ authorization: `Bearer ${token}` }), requireScopes('notes:read'))).ok).toBe(true);
    const denied = await verify(api({ authorization: `Bearer ${token}` }), requireScopes('notes:read', 'notes:write'));
    expect(denied.ok).toBe(false);
    if (!denied.ok) {
      expect(denied.response.status).toBe(403);
      expect(denied.response.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="notes:read notes:write"');
      expect(await body(denied.response)).toEqual({ error: 'insufficient_scope' });
    }
  });

  it('fetches remote keys from jwksUrl (the auth server over HTTP) and follows a key rotation', async () => {
    const { auth, clock, client } = setup({ keyRotationMs: 60_000, accessTtlSeconds: 300 });
    const http = createServer(toNodeHandler(auth));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => http.close(() => resolve())));
    const { port } = http.address() as AddressInfo;
    const verify = createTokenVerifier({
      jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      remoteJwks: { cooldownDuration: 0 }, // the rotation below comes milliseconds after the first fetch
      issuer: ISSUER,
      audience: AUDIENCE,
      clock: clock.now,
    });
    const browser = client();
    const before = String((await body(await browser.login())).access_token);
    expect((await verify(api({ authorization: `Bearer ${before}` }))).ok).toBe(true);
    clock.advance(60_000);
    const after = String((await body(await browser.refresh())).access_token);
    expect((await verify(api({ authorization: `Bearer ${after}` }))).ok).toBe(true); // unknown kid: refetched
  });

  it('refuses to be built with neither or both key sources', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const jwks = { keys: [await exportJWK(publicKey)] };
    expect(() => createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => createTokenVerifier({ jwks, jwksUrl: 'https://x.test/jwks', issuer: ISSUER, audience: AUDIENCE })).toThrow(/exactly one/);
  });
});
