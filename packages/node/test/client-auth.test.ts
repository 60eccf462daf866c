import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { compactVerify, decodeJwt, decodeProtectedHeader, exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import type * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { assertionBackdateSeconds, assertionLifetimeSeconds, createClientAuth, importSigningKey } from '../src/client-auth.js';

const server: oauth.AuthorizationServer = { issuer: 'https://as.test', token_endpoint: 'https://as.test/token' };
const client: oauth.Client = { client_id: 'svc' };

async function sign(auth: oauth.ClientAuth): Promise<{ body: URLSearchParams; headers: Headers }> {
  const body = new URLSearchParams();
  const headers = new Headers();
  await auth(server, client, body, headers);
  return { body, headers };
}

describe('createClientAuth', () => {
  it('signs a new assertion per call, in server time, with iat set back a little', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const serverNow = Date.UTC(2030, 0, 1, 0, 0, 0);
    const auth = await createClientAuth({ method: 'private_key_jwt', privateKey, keyId: 'k1', serverNow: () => serverNow });
    const [first, second] = [await sign(auth), await sign(auth)];
    const assertions = [first, second].map(({ body }) => body.get('client_assertion')!);
    expect(new Set(assertions).size).toBe(2);
    const claims = assertions.map((jwt) => decodeJwt(jwt));
    expect(claims[0]!.jti).not.toBe(claims[1]!.jti);
    const now = serverNow / 1000;
    expect(claims[0]).toMatchObject({
      iss: 'svc',
      sub: 'svc',
      aud: 'https://as.test',
      iat: now - assertionBackdateSeconds,
      nbf: now - assertionBackdateSeconds,
      exp: now + assertionLifetimeSeconds,
    });
    expect(decodeProtectedHeader(assertions[0]!)).toMatchObject({ alg: 'ES256', kid: 'k1' });
    await compactVerify(assertions[0]!, publicKey);
    expect(first.body.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
  });

  it('uses the given audience instead of the issuer (token endpoint without discovery)', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const auth = await createClientAuth({ method: 'private_key_jwt', privateKey, serverNow: Date.now, audience: 'https://as.test/token' });
    expect(decodeJwt((await sign(auth)).body.get('client_assertion')!).aud).toBe('https://as.test/token');
  });

  it('sends client_secret_basic in the Authorization header and client_secret_post in the body', async () => {
    const basic = await sign(await createClientAuth({ method: 'client_secret_basic', clientSecret: 's3cret', serverNow: Date.now }));
    expect(basic.headers.get('authorization')).toBe(`Basic ${btoa('svc:s3cret')}`);
    const post = await sign(await createClientAuth({ method: 'client_secret_post', clientSecret: 's3cret', serverNow: Date.now }));
    expect(Object.fromEntries(post.body)).toEqual({ client_id: 'svc', client_secret: 's3cret' });
  });

  it('refuses a missing secret or key with ERR_CONFIG', async () => {
    await expect(createClientAuth({ method: 'client_secret_post', serverNow: Date.now })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(createClientAuth({ method: 'private_key_jwt', serverNow: Date.now })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });
});

describe('importSigningKey', () => {
  it('accepts a PKCS#8 PEM, a private JWK, a KeyObject and a CryptoKey, inferring the algorithm', async () => {
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const jwk = { ...(await exportJWK(privateKey)), kid: 'from-jwk' };
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const ed = createPrivateKey(generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await expect(importSigningKey(pem)).resolves.toMatchObject({ alg: 'ES384', kid: undefined });
    await expect(importSigningKey(jwk)).resolves.toMatchObject({ alg: 'ES384', kid: 'from-jwk' });
    await expect(importSigningKey(privateKey, undefined, 'given')).resolves.toMatchObject({ alg: 'ES384', kid: 'given' });
    await expect(importSigningKey(rsa)).resolves.toMatchObject({ alg: 'RS256' });
    await expect(importSigningKey(rsa, 'PS256')).resolves.toMatchObject({ alg: 'PS256' });
    await expect(importSigningKey(ed)).resolves.toMatchObject({ alg: 'Ed25519' });
    const imported = await importSigningKey(pem);
    expect(imported.key.extractable).toBe(false);
  });

  it('refuses a public key or unreadable PEM with ERR_CONFIG', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    await expect(importSigningKey(await exportJWK(publicKey))).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    await expect(importSigningKey('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----')).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });
});
