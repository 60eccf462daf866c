import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { EmbeddedJWK, calculateJwkThumbprint, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAuthFetch } from '../src/create-auth-fetch.js';
import { createSession } from '../src/create-session.js';
import { createDpopFetch, createDpopProver, generateDpopKeyPair, type DpopProver } from '../src/dpop.js';
import { isTokenwardError } from '../src/errors.js';
import { startServer, type TestServer } from './helpers/http-server.js';

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  dpop?: string;
  body: string;
}

/**
 * A resource origin that records every request. With `nonce` set it demands that nonce in the
 * proof: a proof without it gets the RFC 9449 §9 challenge (401 with `DPoP-Nonce`), or on `/token`
 * the authorization server's 400 `use_dpop_nonce` (§8).
 */
async function startOrigin() {
  const state = { seen: [] as Seen[], nonce: undefined as string | undefined, rotateEvery: false, issued: 0 };
  const server = await startServer(async (request: IncomingMessage, response, body) => {
    const dpop = request.headers.dpop as string | undefined;
    state.seen.push({ method: request.method!, path: request.url!, authorization: request.headers.authorization, dpop, body });
    if (state.nonce !== undefined) {
      const sent = dpop ? (await claimsOf(dpop)).nonce : undefined;
      if (sent !== state.nonce || state.rotateEvery) {
        if (state.rotateEvery) state.nonce = `n-${++state.issued}`;
        if (request.url === '/token') {
          response.writeHead(400, { 'content-type': 'application/json', 'dpop-nonce': state.nonce }).end(JSON.stringify({ error: 'use_dpop_nonce' }));
        } else {
          response.writeHead(401, { 'www-authenticate': 'DPoP algs="ES256", error="use_dpop_nonce", error_description="nonce"', 'dpop-nonce': state.nonce }).end();
        }
        return;
      }
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, body }));
  });
  return { ...server, state };
}

async function claimsOf(proof: string) {
  const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
  return { ...payload, jwk: protectedHeader.jwk as JWK } as Record<string, unknown> & { jwk: JWK; nonce?: string };
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');

let api: Awaited<ReturnType<typeof startOrigin>>;
let other: Awaited<ReturnType<typeof startOrigin>>;
let foreign: Awaited<ReturnType<typeof startOrigin>>;
let prover: DpopProver;

beforeAll(async () => {
  [api, other, foreign] = await Promise.all([startOrigin(), startOrigin(), startOrigin()]);
  prover = await createDpopProver(await generateDpopKeyPair());
});
afterAll(() => Promise.all([api, other, foreign].map((server: TestServer) => server.close())));
beforeEach(() => {
  for (const origin of [api, other, foreign]) Object.assign(origin.state, { seen: [], nonce: undefined, rotateEvery: false });
});

describe('createDpopProver', () => {
  it('signs with a non-extractable private key; its thumbprint is the RFC 7638 thumbprint of the proof JWK', async () => {
    const keyPair = await generateDpopKeyPair();
    expect(keyPair.privateKey.extractable).toBe(false);
    const own = await createDpopProver(keyPair);
    const proof = await own.proof('get', 'https://api.example.com/a/b?q=secret#frag', { accessToken: 'tok-1', nonce: 'n-1' });
    const claims = await claimsOf(proof);
    expect(decodeProtectedHeader(proof)).toMatchObject({ alg: 'ES256', typ: 'dpop+jwt' });
    expect(await calculateJwkThumbprint(claims.jwk, 'sha256')).toBe(own.thumbprint);
    expect(claims).toMatchObject({ htm: 'GET', htu: 'https://api.example.com/a/b', ath: sha256('tok-1'), nonce: 'n-1' });
    expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(5);
    expect(claims.jwk).not.toHaveProperty('d');
    // Methods fetch does not normalize are signed as written, like fetch sends them.
    expect((await claimsOf(await own.proof('patch', 'https://api.example.com/a'))).htm).toBe('patch');
  });

  it('refuses a key pair whose public key cannot be exported, and URLs that are not absolute, with ERR_CONFIG', async () => {
    const hidden = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const publicKey = await crypto.subtle.importKey('jwk', await crypto.subtle.exportKey('jwk', hidden.publicKey), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    const refused = await createDpopProver({ privateKey: hidden.privateKey, publicKey }).catch((error: unknown) => error);
    expect(isTokenwardError(refused) && refused.code).toBe('ERR_CONFIG');
    const relative = await prover.proof('GET', '/me').catch((error: unknown) => error);
    expect(isTokenwardError(relative) && relative.code).toBe('ERR_CONFIG');
    expect(() => createDpopFetch(prover, { urls: ['/token'] })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});

describe('createDpopFetch', () => {
  it('signs each request that carries a DPoP token (any case) with a fresh proof for its method, URL and token', async () => {
    const dpopFetch = createDpopFetch(prover);
    await dpopFetch(`${api.url}/things?page=2#top`, { headers: { Authorization: 'DPoP tok-A' } });
    await dpopFetch(new Request(`${api.url}/things`, { method: 'post', body: 'x', headers: { authorization: 'dpop tok-A' } }));
    const [get, post] = await Promise.all(api.state.seen.map((seen) => claimsOf(seen.dpop!)));
    expect(get).toMatchObject({ htm: 'GET', htu: `${api.url}/things`, ath: sha256('tok-A') });
    expect(post).toMatchObject({ htm: 'POST', htu: `${api.url}/things`, ath: sha256('tok-A') });
    expect(get!.jti).not.toBe(post!.jti);
    expect(get!.nonce).toBeUndefined();
    expect(api.state.seen.map((seen) => seen.body)).toEqual(['', 'x']);
  });

  it('sends no proof with a Bearer token, with no token, or to a foreign origin through createAuthFetch', async () => {
    const dpopFetch = createDpopFetch(prover);
    await dpopFetch(`${api.url}/bearer`, { headers: { authorization: 'Bearer tok-B' } });
    await dpopFetch(`${api.url}/anonymous`);
    const session = createSession({ refresh: async () => ({ accessToken: 'tok-D', tokenType: 'DPoP', expiresIn: 300 }), tokens: { accessToken: 'tok-D', tokenType: 'DPoP', expiresIn: 300 } });
    const authFetch = createAuthFetch(session, { origins: [api.url], fetch: dpopFetch });
    await authFetch(`${foreign.url}/elsewhere`);
    await authFetch(`${api.url}/mine`);
    session.dispose();
    expect(foreign.state.seen).toEqual([{ method: 'GET', path: '/elsewhere', authorization: undefined, dpop: undefined, body: '' }]);
    expect(api.state.seen.map(({ path, dpop }) => [path, dpop !== undefined])).toEqual([
      ['/bearer', false],
      ['/anonymous', false],
      ['/mine', true],
    ]);
    expect(api.state.seen[2]!.authorization).toBe('DPoP tok-D');
    expect((await claimsOf(api.state.seen[2]!.dpop!)).ath).toBe(sha256('tok-D'));
  });

  it('signs a request to one of its exact `urls` without `ath`, and retries a 400 use_dpop_nonce once with the nonce', async () => {
    const dpopFetch = createDpopFetch(prover, { urls: [`${other.url}/token`] });
    other.state.nonce = 'n-token';
    const response = await dpopFetch(new Request(`${other.url}/token`, { method: 'POST', body: 'grant_type=refresh_token' }));
    expect(response.status).toBe(200);
    await dpopFetch(`${other.url}/token2`, { method: 'POST' });
    expect(other.state.seen.map(({ path, dpop, body }) => [path, dpop !== undefined, body])).toEqual([
      ['/token', true, 'grant_type=refresh_token'],
      ['/token', true, 'grant_type=refresh_token'],
      ['/token2', false, ''],
    ]);
    const [first, second] = await Promise.all(other.state.seen.slice(0, 2).map((seen) => claimsOf(seen.dpop!)));
    expect(first).not.toHaveProperty('ath');
    expect([first!.nonce, second!.nonce]).toEqual([undefined, 'n-token']);
  });

  it('learns a nonce per origin with exactly one extra round trip each, then reuses it', async () => {
    const dpopFetch = createDpopFetch(prover);
    const init = { headers: { authorization: 'DPoP tok-N' } };
    api.state.nonce = 'n-api';
    other.state.nonce = 'n-other';
    for (let i = 0; i < 3; i++) expect((await dpopFetch(`${api.url}/r${i}`, init)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await dpopFetch(`${other.url}/r${i}`, init)).status).toBe(200);
    expect(api.state.seen.map((seen) => seen.path)).toEqual(['/r0', '/r0', '/r1', '/r2']);
    expect(other.state.seen.map((seen) => seen.path)).toEqual(['/r0', '/r0', '/r1', '/r2']);
    const nonces = async (seen: Seen[]) => Promise.all(seen.map(async (s) => (await claimsOf(s.dpop!)).nonce));
    // The other origin never sees the api's nonce.
    expect(await nonces(api.state.seen)).toEqual([undefined, 'n-api', 'n-api', 'n-api']);
    expect(await nonces(other.state.seen)).toEqual([undefined, 'n-other', 'n-other', 'n-other']);
  });

  it('retries once only: a server that wants a new nonce every time gets exactly 2 requests and its 401 is returned', async () => {
    const dpopFetch = createDpopFetch(prover);
    api.state.nonce = 'n-0';
    api.state.rotateEvery = true;
    const response = await dpopFetch(`${api.url}/never`, { method: 'PUT', body: 'again', headers: { authorization: 'DPoP tok-R' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('use_dpop_nonce');
    expect(api.state.seen.map((seen) => [seen.path, seen.body])).toEqual([
      ['/never', 'again'],
      ['/never', 'again'],
    ]);
  });

  it('does not retry a one-shot body, yet keeps the nonce for the next request', async () => {
    const dpopFetch = createDpopFetch(prover);
    api.state.nonce = 'n-stream';
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const headers = { authorization: 'DPoP tok-S' };
    const first = await dpopFetch(`${api.url}/upload`, { method: 'POST', body: stream, headers, duplex: 'half' } as RequestInit);
    expect(first.status).toBe(401);
    expect((await dpopFetch(`${api.url}/upload`, { method: 'POST', body: 'again', headers })).status).toBe(200);
    expect(api.state.seen.map((seen) => [seen.body, seen.dpop !== undefined])).toEqual([
      ['streamed', true],
      ['again', true],
    ]);
  });
});
