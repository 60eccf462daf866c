import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { body, manualClock, start } from './helpers/client.js';

async function accessToken(response: Response): Promise<string> {
  return String((await body(response)).access_token);
}

describe('protected API', () => {
  it('answers /api/me with the claims of a valid bearer token', async () => {
    const { client, server } = await start();
    const browser = client();
    const token = await accessToken(await browser.login('admin'));
    const me = await browser.api('/api/me', token);
    expect(me.status).toBe(200);
    expect(await body(me)).toEqual({ sub: 'admin', role: 'admin', exp: expect.any(Number) });
    expect(server.stats()).toMatchObject({ apiCalls: 1, apiUnauthorized: 0 });
  });

  it('answers 401 invalid_token for a missing, forged or expired token, with the RFC 6750 challenge', async () => {
    const clock = manualClock();
    const { client, server } = await start({ clock: clock.now, accessTtlSeconds: 10 });
    const browser = client();
    const token = await accessToken(await browser.login());
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    const expired = async () => {
      clock.advance(12_001); // past exp plus the 2 s tolerance
      return browser.api('/api/me', token);
    };
    // No token at all: a bare challenge, no error code (RFC 6750 3.1).
    const challenges = ['Bearer', 'Bearer error="invalid_token"', 'Bearer error="invalid_token"'];
    for (const response of [await browser.api('/api/me'), await browser.api('/api/me', forged), await expired()]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(challenges.shift());
      expect(await body(response)).toEqual({ error: 'invalid_token' });
    }
    expect(server.stats()).toMatchObject({ apiCalls: 3, apiUnauthorized: 3 });
  });

  it('accepts a token up to 2 seconds past exp (clock tolerance)', async () => {
    const clock = manualClock();
    const { client } = await start({ clock: clock.now, accessTtlSeconds: 10 });
    const browser = client();
    const token = await accessToken(await browser.login());
    clock.advance(11_000);
    expect((await browser.api('/api/me', token)).status).toBe(200);
  });

  it('enforces roles: /api/admin is 403 for a user token and 200 for an admin token', async () => {
    const { client } = await start();
    const user = client();
    const admin = client();
    const userAnswer = await user.api('/api/admin', await accessToken(await user.login('demo')));
    expect(userAnswer.status).toBe(403);
    expect(await body(userAnswer)).toEqual({ error: 'insufficient_role' });
    const adminAnswer = await admin.api('/api/admin', await accessToken(await admin.login('admin')));
    expect(adminAnswer.status).toBe(200);
    expect(await body(adminAnswer)).toMatchObject({ sub: 'admin', role: 'admin' });
  });

  it('signs ES256 access tokens with kid, iss, aud, sub, role, iat, exp and jti', async () => {
    const { client, server, url } = await start({ issuer: 'https://issuer.example', audience: 'my-api' });
    const token = await accessToken(await client().login());
    const jwks = await (await fetch(`${url}/.well-known/jwks.json`)).json();
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: server.issuer,
      audience: server.audience,
    });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(payload).toMatchObject({ sub: 'demo', role: 'user', jti: expect.any(String) });
    expect(payload.exp! - payload.iat!).toBe(30);
  });
});

describe('signing-key rotation', () => {
  it('keeps verifying a token signed before a rotation, and publishes both kids', async () => {
    const clock = manualClock();
    const { client, server, url } = await start({ clock: clock.now, keyRotationMs: 60_000, accessTtlSeconds: 300 });
    const browser = client();
    const before = await accessToken(await browser.login());
    const oldKid = decodeProtectedHeader(before).kid;
    expect((await server.jwks()).keys.map((key) => key.kid)).toEqual([oldKid]);

    clock.advance(60_000);
    const after = await accessToken(await browser.refresh());
    const newKid = decodeProtectedHeader(after).kid;
    expect(newKid).not.toBe(oldKid);
    const published = await (await fetch(`${url}/.well-known/jwks.json`)).json();
    expect(published.keys.map((key: { kid: string }) => key.kid)).toEqual([newKid, oldKid]);
    expect(published.keys.every((key: { d?: string }) => key.d === undefined)).toBe(true); // public only
    expect((await browser.api('/api/me', before)).status).toBe(200);
    expect((await browser.api('/api/me', after)).status).toBe(200);

    // Two rotations later the first key is gone, and so is trust in its tokens.
    clock.advance(60_000);
    expect((await server.jwks()).keys.map((key) => key.kid)).not.toContain(oldKid);
    expect((await browser.api('/api/me', before)).status).toBe(401);
  });

  it('rotates with real time when no clock is injected', async () => {
    const { server } = await start({ keyRotationMs: 100 });
    const first = (await server.jwks()).keys[0]?.kid;
    await expect.poll(async () => (await server.jwks()).keys[0]?.kid, { timeout: 3000 }).not.toBe(first);
  });

  it('never rotates with keyRotationMs 0', async () => {
    const clock = manualClock();
    const { server } = await start({ clock: clock.now, keyRotationMs: 0 });
    const before = await server.jwks();
    clock.advance(365 * 24 * 3600 * 1000);
    expect(await server.jwks()).toEqual(before);
  });
});
