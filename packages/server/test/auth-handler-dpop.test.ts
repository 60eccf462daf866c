import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthHandler, createMemoryStore } from '../src/index.js';
import { sha256 } from '../src/crypto.js';
import { AUDIENCE, ISSUER, authenticate, body, setup, type Client } from './helpers/harness.js';
import { dpopKey, type DpopKey } from './helpers/dpop-key.js';

const ORIGIN = 'http://localhost:3000';

/** A handler and one browser profile (a client). */
function signedOut(options: Parameters<typeof setup>[0]) {
  const context = setup(options);
  return { ...context, client: context.client() };
}

/** Login or refresh with a fresh proof of `key` for that route. */
async function withProof(key: DpopKey, path: string): Promise<{ headers: { dpop: string } }> {
  return { headers: { dpop: await key.proof('POST', `${ORIGIN}${path}`) } };
}

async function login(client: Client, key?: DpopKey, mode: 'bearer' | 'cookie' = 'bearer'): Promise<Response> {
  return client.request('/auth/login', { json: { username: 'alice', password: 'ecila', mode }, ...(key ? await withProof(key, '/auth/login') : {}) });
}

describe('createAuthHandler({ dpop }): sessions bound to a DPoP key (RFC 9449 5)', () => {
  it('binds a login that carries a proof: token_type DPoP, the access token carries cnf.jkt, the family records the thumbprint', async () => {
    const store = createMemoryStore();
    const { client } = signedOut({ dpop: true, store });
    const key = await dpopKey();
    const answer = await body(await login(client, key));
    expect(answer.token_type).toBe('DPoP');
    expect(decodeJwt(String(answer.access_token)).cnf).toEqual({ jkt: key.jkt });
    expect((await store.findByToken(await sha256(client.refreshToken!)))?.jkt).toBe(key.jkt);
  });

  it('leaves a login without a proof a Bearer session, and ignores proofs entirely without the dpop option', async () => {
    const key = await dpopKey();
    const on = signedOut({ dpop: true }).client;
    const plain = await body(await login(on));
    expect([plain.token_type, decodeJwt(String(plain.access_token)).cnf]).toEqual(['Bearer', undefined]);
    const off = setup().client();
    const ignored = await body(await login(off, key));
    expect([ignored.token_type, decodeJwt(String(ignored.access_token)).cnf]).toEqual(['Bearer', undefined]);
  });

  it('refreshes a bound family with a proof of its key, and keeps it bound', async () => {
    const { client, count } = signedOut({ dpop: true });
    const key = await dpopKey();
    await login(client, key);
    for (let round = 0; round < 2; round++) {
      const response = await client.refresh(await withProof(key, '/auth/refresh'));
      const answer = await body(response);
      expect([response.status, answer.token_type, decodeJwt(String(answer.access_token)).cnf]).toEqual([200, 'DPoP', { jkt: key.jkt }]);
    }
    expect(count('refresh')).toBe(2);
  });

  it('refuses the refresh cookie of a bound family without a proof, or with another key: 401 invalid_grant, no rotation, no revocation', async () => {
    const { client, events, count } = signedOut({ dpop: true });
    const key = await dpopKey();
    const thiefKey = await dpopKey();
    await login(client, key);
    const stolen = client.refreshToken!;
    for (const attempt of [{}, await withProof(thiefKey, '/auth/refresh')]) {
      const thief = client.withRefreshToken(stolen);
      const response = await thief.refresh(attempt);
      expect([response.status, await body(response)]).toEqual([401, { error: 'invalid_grant' }]);
    }
    expect(events.filter((event) => event.type === 'invalid_grant')).toEqual([
      { type: 'invalid_grant', reason: 'dpop_key' },
      { type: 'invalid_grant', reason: 'dpop_key' },
    ]);
    expect([count('refresh'), count('reuse')]).toEqual([0, 0]);
    // The owner's cookie is still the current one: nothing rotated, nothing revoked.
    expect((await client.refresh(await withProof(key, '/auth/refresh'))).status).toBe(200);
    expect(count('refresh')).toBe(1);
  });

  it('does not let a rotated token without the key revoke the family (no reuse detection to abuse)', async () => {
    const { client, count } = signedOut({ dpop: true, graceMs: 0 });
    const key = await dpopKey();
    await login(client, key);
    const old = client.refreshToken!;
    await client.refresh(await withProof(key, '/auth/refresh'));
    const replayed = await client.withRefreshToken(old).refresh();
    expect(replayed.status).toBe(401);
    expect(count('reuse')).toBe(0);
    expect((await client.refresh(await withProof(key, '/auth/refresh'))).status).toBe(200);
    // With the key, a rotated token is reuse as ever: the family goes.
    expect((await client.withRefreshToken(old).refresh(await withProof(key, '/auth/refresh'))).status).toBe(401);
    expect(count('reuse')).toBe(1);
  });

  it('answers an invalid proof 400 invalid_dpop_proof with a DPoP challenge, before any rotation (a replay, another URL, a bad signature)', async () => {
    const { client, events, count } = signedOut({ dpop: true });
    const key = await dpopKey();
    await login(client, key);
    const used = await withProof(key, '/auth/refresh');
    expect((await client.refresh(used)).status).toBe(200);
    const proofs = [used.headers.dpop, await key.proof('POST', `${ORIGIN}/auth/login`), await key.proof('GET', `${ORIGIN}/auth/refresh`), `${used.headers.dpop.slice(0, -4)}AAAA`];
    for (const dpop of proofs) {
      const response = await client.refresh({ headers: { dpop } });
      expect([response.status, response.headers.get('www-authenticate'), await body(response)]).toEqual([400, 'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA PS256 RS256"', { error: 'invalid_dpop_proof' }]);
      expect(response.headers.get('set-cookie')).toBe(null);
    }
    expect(events.filter((event) => event.type === 'dpop_refused').map((event) => event.type === 'dpop_refused' && event.reason)).toEqual(['replay', 'htu', 'htm', 'signature']);
    expect(count('refresh')).toBe(1);
    expect((await client.refresh(await withProof(key, '/auth/refresh'))).status).toBe(200);
  });

  it('binds an unbound family at its first refresh with a proof (an OpenID sign-in, a login that sent none)', async () => {
    const { client } = signedOut({ dpop: true });
    const key = await dpopKey();
    await login(client);
    const answer = await body(await client.refresh(await withProof(key, '/auth/refresh')));
    expect([answer.token_type, decodeJwt(String(answer.access_token)).cnf]).toEqual(['DPoP', { jkt: key.jkt }]);
    expect((await client.refresh()).status).toBe(401);
  });

  it("dpop: 'required' refuses a login or refresh without a proof, before authenticate runs", async () => {
    let checked = 0;
    const { client } = signedOut({ dpop: 'required', authenticate: (request) => (checked++, authenticate!(request)) });
    const refused = await login(client);
    expect([refused.status, await body(refused), checked]).toEqual([400, { error: 'invalid_dpop_proof' }, 0]);
    const key = await dpopKey();
    expect((await login(client, key)).status).toBe(200);
    expect((await client.refresh()).status).toBe(400);
    expect((await client.refresh(await withProof(key, '/auth/refresh'))).status).toBe(200);
  });

  it('binds a cookie-mode family (its refresh needs the key) but not its HttpOnly access token, which goes out without a proof', async () => {
    const { client } = signedOut({ dpop: true });
    const key = await dpopKey();
    const answer = await body(await login(client, key, 'cookie'));
    expect(answer.token_type).toBe('cookie');
    expect(decodeJwt(client.jar.get('tw_access')!).cnf).toBe(undefined);
    expect((await client.withRefreshToken(client.refreshToken!).refresh()).status).toBe(401);
    expect((await client.refresh(await withProof(key, '/auth/refresh'))).status).toBe(200);
  });

  it('shares one rotation among concurrent refreshes of a bound family, each with its own proof; a copied cookie in the burst gets nothing', async () => {
    const { client, count } = signedOut({ dpop: true });
    const key = await dpopKey();
    await login(client, key);
    const token = client.refreshToken!;
    const tabs = Array.from({ length: 5 }, () => client.withRefreshToken(token));
    const thief = client.withRefreshToken(token);
    const answers = await Promise.all([...tabs.map(async (tab) => tab.refresh(await withProof(key, '/auth/refresh'))), thief.refresh()]);
    expect(answers.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 401]);
    expect(count('refresh')).toBe(1);
    expect(new Set(tabs.map((tab) => tab.refreshToken)).size).toBe(1);
  });

  it('refuses dpop with accessToken upstream, and a dpop value that is not a boolean or required', () => {
    expect(() => createAuthHandler({ authenticate, issuer: ISSUER, audience: AUDIENCE, dpop: 'yes' as never })).toThrow(/dpop/);
    expect(() => createAuthHandler({ authenticate, issuer: ISSUER, audience: AUDIENCE, dpop: true, accessToken: 'upstream' })).toThrow(/dpop/);
  });
});
