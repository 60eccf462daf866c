import { RefreshFailedError, isTokenwardError } from '@tokenward/core';
import { createClientCredentials, type ClientCredentials, type ClientCredentialsOptions } from '@tokenward/node';
import { createRemoteJWKSet, decodeJwt, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientIds, clientSecret, createAuthServer, resourceServers, type AuthServer } from './helpers/create-auth-server.js';
import { eventually, shiftedClock, sleep } from './helpers/clocks.js';

let server: AuthServer;
const sources: ClientCredentials[] = [];

beforeAll(async () => {
  server = await createAuthServer({ accessTokenTTL: 60, clockTolerance: 5 });
});
afterAll(() => server.close());
beforeEach(() => server.reset());
afterEach(() => {
  for (const source of sources.splice(0)) source.dispose();
});

function source(options: Partial<ClientCredentialsOptions> = {}): ClientCredentials {
  const created = createClientCredentials({
    issuer: server.issuer,
    clientId: clientIds.basic,
    clientSecret,
    audienceParameter: 'resource',
    ...options,
  } as ClientCredentialsOptions);
  sources.push(created);
  return created;
}

const jwtClient = (options: Partial<ClientCredentialsOptions> = {}) =>
  source({ clientId: clientIds.jwt, clientSecret: undefined, privateKey: server.clientKey.privateKey, keyId: server.clientKey.kid, ...options });

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('should have failed'),
    (error: unknown) => error as RefreshFailedError,
  );

describe('createClientCredentials against oidc-provider', () => {
  it('makes exactly 1 grant for 10,000 concurrent callers on a cold cache', async () => {
    const tokens = source({ scope: 'read', audience: resourceServers[0] });
    const results = await Promise.all(Array.from({ length: 10_000 }, () => tokens.getAccessToken()));
    expect(new Set(results).size).toBe(1);
    expect(server.counts).toMatchObject({ grants: 1, grantErrors: 0, tokenRequests: 1, discovery: 1 });
  });

  it('makes exactly 3 grants for 10,000 concurrent callers on each of 3 distinct (audience, scope) keys', async () => {
    const tokens = source();
    const keys = [
      { audience: resourceServers[0], scope: 'read' },
      { audience: resourceServers[1], scope: 'read write' },
      { audience: resourceServers[1], scope: 'read' },
    ];
    const results = await Promise.all(
      keys.flatMap((key) => Array.from({ length: 10_000 }, (_, i) => tokens.getAccessToken(i % 2 ? key : { ...key, scope: key.scope.split(' ').reverse().join(' ') }))),
    );
    expect(new Set(results).size).toBe(3);
    expect(server.counts).toMatchObject({ grants: 3, tokenRequests: 3, discovery: 1 });
    for (const [index, key] of keys.entries()) {
      const claims = decodeJwt(results[index * 10_000]!);
      expect(claims).toMatchObject({ aud: key.audience, scope: key.scope, client_id: clientIds.basic });
    }
    expect(tokens.session({ scope: 'write read', audience: resourceServers[1] })).toBe(tokens.session(keys[1]));
  });

  it.each([
    ['client_secret_basic', clientIds.basic],
    ['client_secret_post', clientIds.post],
  ] as const)('authenticates with %s', async (authMethod, clientId) => {
    const token = await source({ clientId, authMethod }).getAccessToken({ audience: resourceServers[2], scope: 'write' });
    const jwks = createRemoteJWKSet(new URL(server.jwksUri));
    const { payload } = await jwtVerify(token, jwks, { issuer: server.issuer, audience: resourceServers[2] });
    expect(payload).toMatchObject({ client_id: clientId, scope: 'write' });
  });

  it('sends audience as the audience parameter by default', async () => {
    const bodies: string[] = [];
    const tokens = source({
      audienceParameter: undefined,
      fetch: (url, init) => (bodies.push(String(init.body)), fetch(url, init)),
    });
    await tokens.getAccessToken({ audience: 'https://gateway.test', scope: 'read' });
    expect(new URLSearchParams(bodies.at(-1))).toMatchObject(new URLSearchParams({ scope: 'read', audience: 'https://gateway.test', grant_type: 'client_credentials' }));
  });

  it('assumes defaultExpiresIn for an opaque token that states no lifetime', async () => {
    server.fault = () => ({ status: 200, headers: { 'cache-control': 'no-store' }, body: { access_token: 'opaque-token', token_type: 'Bearer' } });
    const tokens = source({ tokenEndpoint: server.tokenEndpoint, defaultExpiresIn: 120 });
    const before = Date.now();
    expect(await tokens.getAccessToken()).toBe('opaque-token');
    const { expiresAt } = tokens.session().getSnapshot();
    expect(expiresAt! - before).toBeGreaterThanOrEqual(119_000);
    expect(expiresAt! - before).toBeLessThanOrEqual(121_000);
  });

  describe('private_key_jwt', () => {
    it('never replays an assertion, retries included (the provider would refuse one)', async () => {
      server.fault = ({ number }) => (number <= 2 ? { status: 503, headers: { 'retry-after': '0' }, body: 'busy' } : undefined);
      const tokens = jwtClient({ tokenEndpoint: server.tokenEndpoint, policy: { backoffMs: 20 } });
      const token = await eventually(() => tokens.getAccessToken({ scope: 'read' }));
      expect(token).toBeTypeOf('string');
      expect(server.counts).toMatchObject({ tokenRequests: 3, grants: 1, grantErrors: 0 });
      expect(server.assertions).toHaveLength(3);
      const ids = server.assertions.map((assertion) => decodeJwt(assertion).jti);
      expect(new Set(ids).size).toBe(3);
      expect(new Set(server.assertions).size).toBe(3);

      // The provider does enforce it: the accepted assertion, sent again, is refused.
      const replay = await fetch(server.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientIds.jwt,
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: server.assertions[2]!,
        }),
      });
      expect(replay.status).toBe(401);
      expect(await replay.json()).toMatchObject({ error: 'invalid_client' });
    });

    it('signs a fresh assertion for the skew retry too', async () => {
      const tokens = jwtClient({ tokenEndpoint: server.tokenEndpoint, clock: shiftedClock(30_000) });
      await tokens.getAccessToken();
      expect(server.counts).toMatchObject({ tokenRequests: 2, grants: 1, grantErrors: 1 });
      const [rejected, accepted] = server.assertions.map((assertion) => decodeJwt(assertion));
      expect(rejected!.jti).not.toBe(accepted!.jti);
      // The retry is signed in server time: 30 s earlier than the first, skewed, assertion.
      expect(rejected!.iat! - accepted!.iat!).toBeGreaterThanOrEqual(28);
      expect(rejected!.iat! - accepted!.iat!).toBeLessThanOrEqual(32);
    });

    it('fails with a typed invalid_client after one call for an unregistered key', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const tokens = jwtClient({ privateKey, keyId: 'stranger' });
      const errors = await Promise.all(Array.from({ length: 50 }, () => failure(tokens.getAccessToken())));
      for (const error of errors) expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'terminal', oauthError: 'invalid_client' });
      expect(server.counts.tokenRequests).toBe(1);
    });
  });

  describe('token endpoint errors', () => {
    it('invalid_client: a typed terminal error after exactly one call, and no retry storm', async () => {
      const tokens = source({ clientSecret: 'wrong-secret-wrong-secret-wrong-secret-wrong', terminalRetryMs: 400 });
      const first = await Promise.all(Array.from({ length: 1_000 }, () => failure(tokens.getAccessToken())));
      const again = await Promise.all(Array.from({ length: 1_000 }, () => failure(tokens.getAccessToken())));
      for (const error of [...first, ...again]) {
        expect(error).toBeInstanceOf(RefreshFailedError);
        expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'terminal', status: 401, oauthError: 'invalid_client' });
      }
      expect(server.counts).toMatchObject({ tokenRequests: 1, grantErrors: 1 });
      expect(first[0]!.message).toBe('Token request failed: invalid_client');

      // After terminalRetryMs, one demand (not one per caller) asks again.
      await sleep(450);
      const later = await Promise.all(Array.from({ length: 100 }, () => failure(tokens.getAccessToken())));
      expect(later[0]).toMatchObject({ oauthError: 'invalid_client' });
      expect(server.counts.tokenRequests).toBe(2);
    });

    it.each([
      ['invalid_scope', { scope: 'admin' }],
      ['invalid_target', { audience: 'https://unknown.test' }],
    ])('%s is terminal and says so', async (oauthError, key) => {
      const tokens = source();
      const error = await failure(tokens.getAccessToken(key));
      expect(error).toMatchObject({ kind: 'terminal', status: 400, oauthError });
      await expect(tokens.getAccessToken(key)).rejects.toBe(error);
      expect(server.counts.tokenRequests).toBe(1);
    });

    it('a throttled cold key fails fast for every caller until Retry-After, then recovers with one call', async () => {
      server.fault = ({ number }) => (number === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow_down' } } : undefined);
      const tokens = source({ random: () => 0.5 });
      const first = await Promise.all(Array.from({ length: 1_000 }, () => failure(tokens.getAccessToken())));
      expect(first[0]).toMatchObject({ kind: 'transient', status: 429, oauthError: 'slow_down', retryAfterMs: 1_000 });
      const started = Date.now();
      const negative = await Promise.all(Array.from({ length: 1_000 }, () => failure(tokens.getAccessToken())));
      expect(Date.now() - started).toBeLessThan(200);
      expect(negative[0]).toBe(first[0]);
      expect(server.counts.tokenRequests).toBe(1);
      await sleep(1_050);
      await Promise.all(Array.from({ length: 1_000 }, () => tokens.getAccessToken()));
      expect(server.counts).toMatchObject({ tokenRequests: 2, grants: 1 });
    });
  });

  describe('clock skew', () => {
    it('with the SDK clock 30 s ahead, gets a token after one rejected attempt, and a second cold key needs none', async () => {
      const tokens = jwtClient({ tokenEndpoint: server.tokenEndpoint, clock: shiftedClock(30_000) });
      await tokens.getAccessToken({ scope: 'read' });
      expect(server.counts).toMatchObject({ grants: 1, grantErrors: 1 });
      expect(server.errors).toEqual(['invalid_client']);
      expect(Math.abs(tokens.clockOffsetMs + 30_000)).toBeLessThan(1_500);
      await tokens.getAccessToken({ scope: 'write' });
      expect(server.counts).toMatchObject({ grants: 2, grantErrors: 1 });
    });

    it('learns the offset from discovery, so not even the first assertion is rejected', async () => {
      const tokens = jwtClient({ clock: shiftedClock(30_000) });
      await Promise.all([tokens.getAccessToken({ scope: 'read' }), tokens.getAccessToken({ scope: 'write' })]);
      expect(server.counts).toMatchObject({ discovery: 1, grants: 2, grantErrors: 0 });
    });

    it('treats invalid_client as terminal when the clocks agree (no retry)', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const tokens = jwtClient({ tokenEndpoint: server.tokenEndpoint, privateKey, keyId: 'unknown' });
      await expect(tokens.getAccessToken()).rejects.toMatchObject({ oauthError: 'invalid_client', kind: 'terminal' });
      expect(server.counts.tokenRequests).toBe(1);
    });

    it('retries a skewed rejection only once', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const tokens = jwtClient({ tokenEndpoint: server.tokenEndpoint, privateKey, keyId: 'unknown', clock: shiftedClock(30_000) });
      await expect(tokens.getAccessToken()).rejects.toMatchObject({ oauthError: 'invalid_client', kind: 'terminal' });
      expect(server.counts.tokenRequests).toBe(2);
    });
  });

  describe('discovery', () => {
    it('discovers the issuer once for all keys', async () => {
      const tokens = source();
      await Promise.all(resourceServers.map((audience) => tokens.getAccessToken({ audience })));
      expect(server.counts).toMatchObject({ discovery: 1, grants: 3 });
    });

    it('refuses metadata whose issuer does not match, terminally and clearly', async () => {
      const tokens = source({ issuer: server.issuer.replace('127.0.0.1', 'localhost') });
      const error = await failure(tokens.getAccessToken());
      expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'terminal' });
      expect(error.message).toBe(`Issuer mismatch: the metadata fetched for ${server.issuer.replace('127.0.0.1', 'localhost')}/ names the issuer "${server.issuer}"`);
      expect(server.counts.tokenRequests).toBe(0);
    });

    it('forgets a failed discovery and tries again on the next refresh', async () => {
      let failures = 1;
      const tokens = source({
        policy: { backoffMs: 20 },
        fetch: (url, init) => (url.includes('/.well-known/') && failures-- > 0 ? Promise.reject(new TypeError('fetch failed')) : fetch(url, init)),
      });
      await expect(tokens.getAccessToken()).rejects.toMatchObject({ kind: 'transient', message: `Issuer discovery at ${new URL(server.issuer).href} failed: fetch failed` });
      await eventually(() => tokens.getAccessToken());
      expect(server.counts).toMatchObject({ discovery: 1, grants: 1 });
    });
  });

  describe('dispose', () => {
    it('aborts the refresh in flight and rejects its waiters with ERR_DISPOSED', async () => {
      server.fault = () => ({ status: 503, delayMs: 2_000 });
      const tokens = source({ tokenEndpoint: server.tokenEndpoint });
      const pending = tokens.getAccessToken();
      await sleep(50);
      const started = Date.now();
      tokens.dispose();
      await expect(pending).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
      expect(Date.now() - started).toBeLessThan(100);
      await expect(tokens.getAccessToken()).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
      expect(() => tokens.session()).toThrow(expect.objectContaining({ code: 'ERR_DISPOSED' }));
    });
  });

  it('rejects contradictory options with ERR_CONFIG at creation', () => {
    const config = (options: object) => {
      try {
        createClientCredentials(options as ClientCredentialsOptions);
      } catch (error) {
        return isTokenwardError(error) ? error.code : error;
      }
      return 'created';
    };
    expect(config({ clientId: 'x', clientSecret: 's' })).toBe('ERR_CONFIG');
    expect(config({ issuer: 'https://as.test', clientSecret: 's' })).toBe('ERR_CONFIG');
    expect(config({ issuer: 'https://as.test', clientId: 'x' })).toBe('ERR_CONFIG');
    expect(config({ issuer: 'https://as.test', clientId: 'x', clientSecret: 's', authMethod: 'private_key_jwt' })).toBe('ERR_CONFIG');
    expect(config({ issuer: 'not a url', clientId: 'x', clientSecret: 's' })).toBe('ERR_CONFIG');
  });

  it('refuses an http issuer off loopback at creation, naming the option that allows it', () => {
    const create = (extra: object) => () => createClientCredentials({ issuer: 'http://auth.internal', clientId: 'x', clientSecret: 's', ...extra });
    expect(create({})).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', message: 'issuer http://auth.internal is not https: pass allowInsecureRequests: true to allow it' }));
    expect(() => createClientCredentials({ tokenEndpoint: 'http://auth.internal/token', clientId: 'x', clientSecret: 's' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', message: expect.stringContaining('allowInsecureRequests') }));
    expect(create({ allowInsecureRequests: true })).not.toThrow();
    expect(() => createClientCredentials({ issuer: 'http://127.0.0.1:9', clientId: 'x', clientSecret: 's' }).dispose()).not.toThrow();
  });

  it('names the issuer URL it tried when discovery fails', async () => {
    const tokens = createClientCredentials({ issuer: 'http://127.0.0.1:9/tenant', clientId: 'x', clientSecret: 's', policy: { timeoutMs: 2_000 } });
    await expect(tokens.getAccessToken()).rejects.toMatchObject({ code: 'ERR_REFRESH_FAILED', message: expect.stringContaining('Issuer discovery at http://127.0.0.1:9/tenant failed') });
    tokens.dispose();
  });

  it('refuses a private key that does not parse at creation, quoting none of it', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----';
    let error: unknown;
    try {
      createClientCredentials({ issuer: 'https://as.test', clientId: 'x', privateKey: pem });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_CONFIG', message: expect.stringMatching(/^The private key could not be read/) });
    expect(JSON.stringify(error) + String((error as Error).message)).not.toContain('c2VjcmV0');
    expect(() => createClientCredentials({ issuer: 'https://as.test', clientId: 'x', privateKey: { kty: 'EC', crv: 'P-256', x: 'a', y: 'b' } })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', message: 'The private key JWK has no private part ("d")' }),
    );
  });
});
