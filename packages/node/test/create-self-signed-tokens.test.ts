import { createTestClock } from '@tokenward/core/testing';
import { createKeyProvider, createSelfSignedTokens } from '@tokenward/node';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';

describe('createSelfSignedTokens', () => {
  it('mints a short-lived JWT that the published JWKS verifies', async () => {
    const tokens = createSelfSignedTokens({
      key: createKeyProvider(),
      issuer: 'billing',
      subject: 'billing-worker',
      audience: 'ledger',
      ttl: 30,
      claims: { scope: 'ledger:write', iss: 'ignored' },
    });
    const token = await tokens.getAccessToken();
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await tokens.jwks()), { issuer: 'billing', audience: 'ledger' });
    expect(payload).toMatchObject({ sub: 'billing-worker', scope: 'ledger:write' });
    expect(payload.exp! - payload.iat!).toBe(30);
    expect(payload.jti).toBeTypeOf('string');
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(tokens.getSnapshot().expiresAt).toBe(payload.exp! * 1000);
    tokens.dispose();
  });

  it('serves the cached token, then re-mints ahead of expiry', async () => {
    const clock = createTestClock(Date.UTC(2030, 0, 1));
    const tokens = createSelfSignedTokens({ key: createKeyProvider(), issuer: 'a', subject: 'a', audience: 'b', ttl: 60, clock, random: () => 0 });
    const first = await tokens.getAccessToken();
    expect(await tokens.getAccessToken()).toBe(first);
    // Default lead 30 s (half of the 60 s lifetime): the refresh is due at +30 s.
    await clock.advance(30_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await tokens.getAccessToken();
    expect(second).not.toBe(first);
    expect(decodeJwt(second).iat! - decodeJwt(first).iat!).toBe(30);
    tokens.dispose();
  });

  it('signs with a fixed key and kid', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const tokens = createSelfSignedTokens({ key: privateKey, kid: 'fixed', issuer: 'a', subject: 'a', audience: ['b', 'c'], ttl: 10 });
    const token = await tokens.getAccessToken();
    expect(decodeProtectedHeader(token)).toMatchObject({ kid: 'fixed', alg: 'ES256' });
    await jwtVerify(token, createLocalJWKSet(await tokens.jwks()), { audience: 'c' });
    tokens.dispose();
  });

  it('fails terminally and typed when the key cannot sign', async () => {
    const { publicKey } = await generateKeyPair('ES256');
    const tokens = createSelfSignedTokens({ key: publicKey, kid: 'k', issuer: 'a', subject: 'a', audience: 'b' });
    await expect(tokens.getAccessToken()).rejects.toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'terminal' });
    tokens.dispose();
  });

  it('rejects missing claims or a bad ttl with ERR_CONFIG', () => {
    const key = createKeyProvider();
    expect(() => createSelfSignedTokens({ key, issuer: '', subject: 'a', audience: 'b' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => createSelfSignedTokens({ key, issuer: 'a', subject: 'a', audience: 'b', ttl: 0 })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});
