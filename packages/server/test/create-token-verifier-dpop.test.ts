import { describe, expect, it } from 'vitest';
import { createTokenVerifier, type TokenVerifierOptions } from '../src/index.js';
import { AUDIENCE, ISSUER, body, setup } from './helpers/harness.js';
import { dpopKey, type DpopKey } from './helpers/dpop-key.js';

const NOTES = 'http://localhost/api/notes';
const ALGS = 'algs="ES256 EdDSA PS256 RS256"';

/** A DPoP-bound token from a login with a proof of `key`, and an unbound one from a login without. */
async function tokens(dpop: TokenVerifierOptions['dpop'] = true) {
  const context = setup({ dpop: true });
  const key = await dpopKey();
  const proof = await key.proof('POST', 'http://localhost:3000/auth/login');
  const bound = String((await body(await context.client().request('/auth/login', { json: { username: 'alice', password: 'ecila' }, headers: { dpop: proof } }))).access_token);
  const unbound = String((await body(await context.client().login('alice'))).access_token);
  const verify = createTokenVerifier({ jwks: () => context.auth.jwks(), issuer: ISSUER, audience: AUDIENCE, dpop });
  return { key, bound, unbound, verify, jwks: () => context.auth.jwks() };
}

interface Target {
  method?: string;
  url?: string;
  proofUrl?: string;
  proofMethod?: string;
}

async function dpopRequest(key: DpopKey, token: string, { method = 'GET', url = NOTES, proofUrl = url, proofMethod = method }: Target = {}): Promise<Request> {
  return new Request(url, { method, headers: { authorization: `DPoP ${token}`, dpop: await key.proof(proofMethod, proofUrl, { accessToken: token }) } });
}

function refusal(result: Awaited<ReturnType<ReturnType<typeof createTokenVerifier>>>): [number, string | null, string] | 'accepted' {
  return result.ok ? 'accepted' : [result.status, result.response.headers.get('www-authenticate'), result.error];
}

describe('createTokenVerifier({ dpop }) (RFC 9449 7)', () => {
  it('accepts a bound token as Authorization: DPoP with a proof of its key for this request, query ignored', async () => {
    const { key, bound, verify } = await tokens();
    const result = await verify(await dpopRequest(key, bound, { url: `${NOTES}?page=2` }));
    expect(result.ok && result.claims.cnf).toEqual({ jkt: key.jkt });
  });

  it('refuses a bound token sent as Bearer, or from the cookie: 401 invalid_token', async () => {
    const { bound, verify } = await tokens();
    for (const headers of [{ authorization: `Bearer ${bound}` }, { cookie: `tw_access=${bound}` }] as Array<Record<string, string>>) {
      expect(refusal(await verify(new Request(NOTES, { headers })))).toEqual([401, 'Bearer error="invalid_token"', 'invalid_token']);
    }
  });

  it('refuses a bound token without its proof, with a replayed proof, a proof for another URL or method, or of another key: 401 invalid_dpop_proof', async () => {
    const { key, bound, verify } = await tokens();
    const other = await dpopKey();
    const challenge = [401, `DPoP error="invalid_dpop_proof", ${ALGS}`, 'invalid_dpop_proof'];
    const used = await dpopRequest(key, bound);
    expect((await verify(used)).ok).toBe(true);
    const requests = [
      new Request(NOTES, { headers: { authorization: `DPoP ${bound}` } }),
      new Request(NOTES, { headers: used.headers }),
      await dpopRequest(key, bound, { proofUrl: 'http://localhost/api/admin' }),
      await dpopRequest(key, bound, { method: 'DELETE', proofMethod: 'GET' }),
      await dpopRequest(other, bound),
      new Request(NOTES, { headers: { authorization: `DPoP ${bound}`, dpop: await key.proof('GET', NOTES) } }),
    ];
    for (const request of requests) expect(refusal(await verify(request))).toEqual(challenge);
  });

  it('refuses an unbound token sent as DPoP (401 invalid_token), and keeps accepting it as Bearer unless dpop is required', async () => {
    const { key, unbound, verify, jwks } = await tokens();
    expect(refusal(await verify(await dpopRequest(key, unbound)))).toEqual([401, `DPoP error="invalid_token", ${ALGS}`, 'invalid_token']);
    expect((await verify(new Request(NOTES, { headers: { authorization: `Bearer ${unbound}` } }))).ok).toBe(true);
    const strict = createTokenVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE, dpop: 'required' });
    expect(refusal(await strict(new Request(NOTES, { headers: { authorization: `Bearer ${unbound}` } })))).toEqual([401, 'Bearer error="invalid_token"', 'invalid_token']);
  });

  it('challenges a request without a token with the schemes it takes, and the proof algorithms', async () => {
    const { jwks } = await tokens();
    const challenges = [];
    for (const dpop of [false, true, 'required'] as const) {
      const verify = createTokenVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE, dpop });
      challenges.push(refusal(await verify(new Request(NOTES)))[1]);
    }
    expect(challenges).toEqual(['Bearer', `Bearer, DPoP ${ALGS}`, `DPoP ${ALGS}`]);
  });

  it('without dpop, takes no DPoP scheme at all (401 Bearer), as before', async () => {
    const { key, bound, jwks } = await tokens();
    const verify = createTokenVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE });
    expect(refusal(await verify(await dpopRequest(key, bound)))).toEqual([401, 'Bearer', 'invalid_token']);
  });

  it('checks a Node-style request (Express) against its method and url on the configured origin', async () => {
    const { key, bound, jwks } = await tokens();
    const verify = createTokenVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE, dpop: true, origin: 'https://api.example.com' });
    const proof = async (url: string) => key.proof('GET', url, { accessToken: bound });
    const express = async (url: string) => ({ method: 'GET', url: '/api/notes?x=1', headers: { authorization: `DPoP ${bound}`, dpop: await proof(url), host: 'evil.test' } });
    expect((await verify(await express('https://api.example.com/api/notes'))).ok).toBe(true);
    expect(refusal(await verify(await express('http://evil.test/api/notes')))[2]).toBe('invalid_dpop_proof');
    expect(() => createTokenVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE, dpop: true, origin: 'https://api.example.com/path' })).toThrow(/origin/);
  });
});
