import { compactVerify, createLocalJWKSet, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createKeyRing } from '../src/create-key-ring.js';
import { es256Signer } from '../src/crypto.js';

describe('es256Signer', () => {
  for (const web of [false, true]) {
    it(`signs a JWS input that jose verifies (${web ? 'Web Crypto' : 'node:crypto'} path)`, async () => {
      const { privateKey, publicKey } = await generateKeyPair('ES256');
      const sign = es256Signer(privateKey, { web });
      const input = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}`;
      const signature = await sign(input);
      // Raw r || s (64 bytes), as JWS wants, not DER.
      expect(signature).toMatch(/^[\w-]{86}$/);
      const { payload } = await compactVerify(`${input}.${signature}`, publicKey);
      expect(new TextDecoder().decode(payload)).toBe('{"sub":"alice"}');
      // Another input, or another key, does not verify.
      await expect(compactVerify(`${input}x.${signature}`, publicKey)).rejects.toThrow();
      await expect(compactVerify(`${input}.${signature}`, (await generateKeyPair('ES256')).publicKey)).rejects.toThrow();
    });
  }
});

describe('createKeyRing', () => {
  it('signs tokens that jose verifies, with non-ASCII claims intact and registered claims its own', async () => {
    const keys = createKeyRing({ issuer: 'https://issuer.example', audience: 'https://api.example', accessTtlSeconds: 60, keyRotationMs: 0, clock: () => 1_700_000_000_000 });
    const { token, exp, expiresIn } = await keys.sign('zoë', { name: 'Zoë 🦊', roles: ['a', 'b'], iss: 'evil', jti: 'fixed' });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(await keys.jwks()), {
      issuer: 'https://issuer.example',
      audience: 'https://api.example',
      currentDate: new Date(1_700_000_000_000),
    });
    const [kid] = (await keys.jwks()).keys.map((key) => key.kid);
    expect(protectedHeader).toEqual({ alg: 'ES256', kid, typ: 'at+jwt' });
    expect(payload).toEqual({ name: 'Zoë 🦊', roles: ['a', 'b'], iss: 'https://issuer.example', aud: 'https://api.example', sub: 'zoë', iat: 1_700_000_000, exp: 1_700_000_060, jti: expect.stringMatching(/^[\da-f-]{36}$/) });
    expect([exp, expiresIn]).toEqual([1_700_000_060, 60]);
    keys.close();
  });
});
