// DPoP (RFC 9449) end to end: createClientCredentials gets DPoP-bound tokens from a real
// oidc-provider (features.dPoP), and createAuthFetch / the undici interceptor use them at a resource
// server that verifies every proof with jose.
import { readFileSync } from 'node:fs';
import { createAuthFetch, createSession } from '@tokenward/core';
import { createDpopProver, generateDpopKeyPair } from '@tokenward/core/dpop';
import { createAuthInterceptor, createClientCredentials, type TokenStore } from '@tokenward/node';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startServer } from '../../core/test/helpers/http-server.js';
import { clientIds, clientSecret, resourceServers } from './helpers/create-auth-server.js';
import { createDpopResourceServer, type DpopResourceServer } from './helpers/create-dpop-resource-server.js';
import { useClientCredentials } from './helpers/use-client-credentials.js';

const audience = resourceServers[0]!;
const fixture = useClientCredentials();
let api: DpopResourceServer;

beforeAll(async () => {
  api = await createDpopResourceServer({ issuer: fixture.server.issuer, jwksUri: fixture.server.jwksUri, audience });
});
afterAll(() => api.close());
beforeEach(() => {
  api.requireNonce = false;
  api.counts.ok = 0;
  api.refusals.length = 0;
});

const dpopSource = (dpop: true | CryptoKeyPair = true) => fixture.source({ audience, audienceParameter: 'resource', dpop });

describe('createClientCredentials with dpop', () => {
  it('gets a DPoP-bound token: token_type DPoP, cnf.jkt = the prover thumbprint', async () => {
    const tokens = dpopSource();
    const token = await tokens.session().getTokenSet();
    const prover = await tokens.dpopProver();
    expect(token.tokenType).toBe('DPoP');
    expect(decodeJwt(token.accessToken!).cnf).toEqual({ jkt: prover.thumbprint });
    expect(fixture.server.counts).toMatchObject({ grants: 1, tokenRequests: 1 });
  });

  it('binds to a key pair it is given: cnf.jkt is the RFC 7638 thumbprint of its public key', async () => {
    const keyPair = await generateDpopKeyPair();
    const token = await dpopSource(keyPair).getAccessToken();
    expect(decodeJwt(token).cnf).toEqual({ jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256') });
  });

  it('README DPoP snippet: the client credentials token and a fetch that signs its proofs', async () => {
    const issuer = fixture.server.issuer;
    const apiUrl = api.url;
    // README:dpop-start
    const tokens = createClientCredentials({ issuer, clientId: 'svc-basic', clientSecret, audience, audienceParameter: 'resource', dpop: true });
    const ordersFetch = createAuthFetch(tokens.session(), { origins: [apiUrl], fetch: tokens.dpopFetch });
    const response = await ordersFetch(`${apiUrl}/orders?page=2`, { method: 'POST', body: '{"sku":42}' });
    // README:dpop-end
    expect(response.status).toBe(200);
    expect((await ordersFetch(`${apiUrl}/orders`)).status).toBe(200);
    tokens.dispose();
    expect(api.counts.ok).toBe(2);
    expect(api.refusals).toEqual([]);
    expect(fixture.server.counts.grants).toBe(1);

    // The README shows these very lines.
    const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter(Boolean);
    const here = /README:dpop-start\n([\s\S]*?)\s*\/\/ README:dpop-end/.exec(readFileSync(new URL(import.meta.url), 'utf8'))![1]!;
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const shown = /## DPoP: sender-constrained tokens\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(lines(shown)).toEqual(lines(here));
  });

  it('a resource server refuses a replayed proof, a proof for another URL or method, a token without its proof, a proof of another key', async () => {
    const tokens = dpopSource();
    const accessToken = await tokens.getAccessToken();
    const prover = await tokens.dpopProver();
    const other = await createDpopProver(await generateDpopKeyPair());
    const send = (path: string, init: { method?: string; authorization: string; dpop?: string }) =>
      fetch(`${api.url}${path}`, { method: init.method ?? 'GET', headers: { authorization: init.authorization, ...(init.dpop ? { dpop: init.dpop } : {}) } });
    const dpop = `DPoP ${accessToken}`;

    const proof = await prover.proof('GET', `${api.url}/a`, { accessToken });
    expect((await send('/a', { authorization: dpop, dpop: proof })).status).toBe(200);
    const refused = [
      await send('/a', { authorization: dpop, dpop: proof }),
      await send('/a', { authorization: dpop, dpop: await prover.proof('GET', `${api.url}/b`, { accessToken }) }),
      await send('/a', { authorization: dpop, dpop: await prover.proof('POST', `${api.url}/a`, { accessToken }) }),
      await send('/a', { authorization: `Bearer ${accessToken}` }),
      await send('/a', { authorization: dpop }),
      await send('/a', { authorization: dpop, dpop: await other.proof('GET', `${api.url}/a`, { accessToken }) }),
      await send('/a', { authorization: dpop, dpop: await prover.proof('GET', `${api.url}/a`, { accessToken: 'another-token' }) }),
    ];
    expect(refused.map((response) => response.status)).toEqual([401, 401, 401, 401, 401, 401, 401]);
    expect(api.refusals).toEqual(['jti replayed', 'htu', 'htm', 'not a DPoP token', 'no proof', 'cnf.jkt', 'ath']);
    expect(api.counts.ok).toBe(1);
  });

  it('nonce dance: the token endpoint and the API both demand a nonce; one extra round trip each, then the nonce is reused', async () => {
    fixture.server.requireDpopNonce = true;
    api.requireNonce = true;
    const tokens = dpopSource();
    const apiFetch = createAuthFetch(tokens.session(), { origins: [api.url], fetch: tokens.dpopFetch });

    expect((await apiFetch(`${api.url}/one`)).status).toBe(200);
    expect(fixture.server.counts).toMatchObject({ tokenRequests: 2, grants: 1 });
    expect(fixture.server.errors).toEqual(['use_dpop_nonce']);
    expect(api.refusals).toEqual(['nonce']);
    expect(api.counts.ok).toBe(1);

    // Both nonces are kept: a new grant and more requests make no extra round trip.
    await tokens.session().refresh();
    expect((await apiFetch(`${api.url}/two`)).status).toBe(200);
    expect((await apiFetch(`${api.url}/three`, { method: 'PUT', body: 'x' })).status).toBe(200);
    expect(fixture.server.counts).toMatchObject({ tokenRequests: 3, grants: 2 });
    expect(api.refusals).toEqual(['nonce']);
    expect(api.counts.ok).toBe(3);
  });

  it('keeps the DPoP key in the token store id: a shared store never hands one key pair’s token to another', async () => {
    const shared = new Map<string, Awaited<ReturnType<TokenStore['obtain']>>>();
    const ids: string[] = [];
    const store: TokenStore = {
      async obtain(storeRequest) {
        ids.push(storeRequest.id);
        const cached = shared.get(storeRequest.id);
        if (cached) return cached;
        const token = await storeRequest.fetchToken();
        shared.set(storeRequest.id, token);
        return token;
      },
    };
    const keyPair = await generateDpopKeyPair();
    const sameKey = [fixture.source({ audience, audienceParameter: 'resource', dpop: keyPair, store }), fixture.source({ audience, audienceParameter: 'resource', dpop: keyPair, store })];
    const ownKey = fixture.source({ audience, audienceParameter: 'resource', dpop: true, store });
    const bearer = fixture.source({ audience, audienceParameter: 'resource', store });
    const tokens: string[] = [];
    for (const source of [...sameKey, ownKey, bearer]) tokens.push(await source.getAccessToken());

    expect(new Set(ids).size).toBe(3);
    expect(tokens[0]).toBe(tokens[1]);
    expect(fixture.server.counts.grants).toBe(3);
    const jkt = (token: string) => (decodeJwt(token).cnf as { jkt?: string } | undefined)?.jkt;
    expect(jkt(tokens[0]!)).toBe((await sameKey[0]!.dpopProver()).thumbprint);
    expect(jkt(tokens[2]!)).toBe((await ownKey.dpopProver()).thumbprint);
    expect(jkt(tokens[3]!)).toBeUndefined();
  });

  it('without dpop there is no DPoP fetch nor prover, and a bad dpop option is an ERR_CONFIG at creation', async () => {
    const tokens = fixture.source({ audience, audienceParameter: 'resource' });
    expect(tokens.dpopFetch).toBeUndefined();
    await expect(tokens.dpopProver()).rejects.toMatchObject({ code: 'ERR_CONFIG' });
    expect((await tokens.session().getTokenSet()).tokenType).toBe('bearer');
    expect(() => createClientCredentials({ issuer: fixture.server.issuer, clientId: clientIds.basic, clientSecret, dpop: 'yes' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG' }),
    );
  });
});

describe('createAuthInterceptor with dpop', () => {
  it('signs a fresh proof per request and learns the API nonce with one extra round trip', async () => {
    api.requireNonce = true;
    const tokens = dpopSource();
    const dispatcher = new Agent().compose(createAuthInterceptor(tokens.session(), { origins: [api.url], dpop: await tokens.dpopProver() }));
    const statuses: number[] = [];
    for (const path of ['/i1?x=1', '/i2', '/i3']) {
      const { statusCode, body } = await request(`${api.url}${path}`, { dispatcher, method: 'POST', body: 'payload' });
      await body.dump();
      statuses.push(statusCode);
    }
    expect(statuses).toEqual([200, 200, 200]);
    expect(api.refusals).toEqual(['nonce']);
    expect(api.counts.ok).toBe(3);
    expect(fixture.server.counts.grants).toBe(1);
    await dispatcher.close();
  });

  it('refuses to send a DPoP token with no prover: ERR_CONFIG, nothing sent, no token in the error', async () => {
    const tokens = dpopSource();
    const accessToken = await tokens.getAccessToken();
    const dispatcher = new Agent().compose(createAuthInterceptor(tokens.session(), { origins: [api.url] }));
    const error = await request(`${api.url}/no-key`, { dispatcher }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_CONFIG' });
    expect(JSON.stringify(error) + String(error)).not.toContain(accessToken);
    expect(api.counts.ok + api.refusals.length).toBe(0);
    await dispatcher.close();
  });

  it('reads WWW-Authenticate on a 401 like createAuthFetch: a challenge blaming the request costs no refresh', async () => {
    const challenged = await startServer((incoming, response) => {
      response.writeHead(401, { 'www-authenticate': decodeURIComponent(incoming.url!.slice(1)) }).end();
    });
    let refreshes = 0;
    const session = createSession({ refresh: async () => ({ accessToken: `tok-${++refreshes}`, expiresIn: 300 }), tokens: { accessToken: 'tok-0', expiresIn: 300 } });
    const dispatcher = new Agent().compose(createAuthInterceptor(session, { origins: [challenged.url] }));
    const costs: number[] = [];
    for (const challenge of ['Bearer error="invalid_request"', 'DPoP error="invalid_dpop_proof"', 'Bearer error="invalid_token"']) {
      const before = refreshes;
      const { statusCode, body } = await request(`${challenged.url}/${encodeURIComponent(challenge)}`, { dispatcher });
      await body.dump();
      expect(statusCode).toBe(401);
      costs.push(refreshes - before);
    }
    expect(costs).toEqual([0, 0, 1]);
    session.dispose();
    await dispatcher.close();
    await challenged.close();
  });
});
