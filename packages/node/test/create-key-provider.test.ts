import { createLocalJWKSet, exportJWK, exportPKCS8, generateKeyPair, SignJWT, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKeyProvider, createStaticKeyProvider } from '@tokenward/node';

const sign = async (key: { privateKey: CryptoKey; kid: string; alg: string }) =>
  new SignJWT({}).setProtectedHeader({ alg: key.alg, kid: key.kid }).setIssuedAt().setExpirationTime('1m').sign(key.privateKey);

describe('createKeyProvider', () => {
  it('publishes the next key before it signs, rotates lazily, and keeps retired keys for retainMs', async () => {
    let now = 0;
    const keys = createKeyProvider({ rotateEveryMs: 1_000, retainMs: 500, now: () => now });
    const first = await keys.current();
    const initial = (await keys.jwks()).keys.map((jwk) => jwk.kid);
    expect(initial).toHaveLength(2);
    expect(initial).toContain(first.kid);
    const upcoming = initial.find((kid) => kid !== first.kid);

    now = 1_000;
    const second = await keys.current();
    expect(second.kid).toBe(upcoming);
    const afterRotation = (await keys.jwks()).keys.map((jwk) => jwk.kid);
    expect(afterRotation).toHaveLength(3);
    expect(afterRotation).toContain(first.kid);

    now = 1_500;
    expect((await keys.jwks()).keys.map((jwk) => jwk.kid)).not.toContain(first.kid);
  });

  it('signs tokens that the published JWKS verifies, across a rotation', async () => {
    let now = 0;
    const keys = createKeyProvider({ alg: 'EdDSA', rotateEveryMs: 1_000, retainMs: 10_000, now: () => now });
    const before = await sign(await keys.current());
    now = 1_000;
    const after = await sign(await keys.current());
    const jwks = createLocalJWKSet(await keys.jwks());
    await jwtVerify(before, jwks);
    await jwtVerify(after, jwks);
  });

  it('never publishes private members', async () => {
    const { keys } = await createKeyProvider().jwks();
    for (const jwk of keys) expect(Object.keys(jwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('catches up one key per elapsed period after a long pause', async () => {
    let now = 0;
    const keys = createKeyProvider({ rotateEveryMs: 1_000, retainMs: 0, now: () => now });
    await keys.current();
    now = 5_500;
    const { keys: published } = await keys.jwks();
    expect(published).toHaveLength(2);
  });

  it('hands out one key to concurrent callers', async () => {
    const keys = createKeyProvider();
    const all = await Promise.all(Array.from({ length: 20 }, () => keys.current()));
    expect(new Set(all.map((key) => key.kid)).size).toBe(1);
  });
});

describe('createStaticKeyProvider', () => {
  it.each([
    ['a PEM', async (key: CryptoKey) => exportPKCS8(key)],
    ['a private JWK', async (key: CryptoKey) => exportJWK(key)],
    ['a CryptoKey', async (key: CryptoKey) => key],
  ])('serves %s with its public JWK', async (_, form) => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const keys = createStaticKeyProvider(await form(privateKey), { kid: 'static-1' });
    const token = await sign(await keys.current());
    const { keys: published } = await keys.jwks();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ kid: 'static-1', alg: 'ES256', kty: 'EC', use: 'sig' });
    expect(published[0]).not.toHaveProperty('d');
    await jwtVerify(token, createLocalJWKSet({ keys: published }));
  });

  it('needs a kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    await expect(createStaticKeyProvider(privateKey).current()).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });
});
