import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createDpopProofVerifier } from '../src/index.js';
import { dpopKey } from './helpers/dpop-key.js';

const URL_ = 'https://api.test/notes';
const GET = { method: 'GET', url: `${URL_}?page=2#top` };

/** A manual clock on a whole second, so that iat (whole seconds) sits exactly on the window's edges. */
function clocked(start = Math.floor(Date.now() / 1000) * 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

describe('createDpopProofVerifier (RFC 9449 4.3)', () => {
  it('accepts a fresh proof of this request and answers the RFC 7638 thumbprint of its key, for ES256, EdDSA and PS256', async () => {
    const verify = createDpopProofVerifier();
    for (const alg of ['ES256', 'EdDSA', 'PS256'] as const) {
      const key = await dpopKey(alg);
      expect(await verify(await key.proof('GET', URL_), GET)).toEqual({ ok: true, jkt: key.jkt });
    }
  });

  it('compares htu without query and fragment, after normalisation (case, default port)', async () => {
    const verify = createDpopProofVerifier();
    const key = await dpopKey();
    const proof = await key.proof('GET', URL_, { claims: { htu: 'HTTPS://API.test:443/notes' } });
    expect((await verify(proof, GET)).ok).toBe(true);
  });

  it('refuses a proof of another method, URL, origin or path', async () => {
    const verify = createDpopProofVerifier();
    const key = await dpopKey();
    const cases: Array<[Promise<string>, string]> = [
      [key.proof('POST', URL_), 'htm'],
      [key.proof('GET', 'https://api.test/notes/1'), 'htu'],
      [key.proof('GET', 'https://other.test/notes'), 'htu'],
      [key.proof('GET', 'http://api.test/notes'), 'htu'],
      [key.proof('GET', URL_, { claims: { htu: 'not a url' } }), 'htu'],
    ];
    for (const [proof, reason] of cases) expect(await verify(await proof, GET)).toEqual({ ok: false, reason });
  });

  it('refuses the same proof twice (replay), but not a second proof of the same request', async () => {
    const verify = createDpopProofVerifier();
    const key = await dpopKey();
    const proof = await key.proof('GET', URL_);
    expect((await verify(proof, GET)).ok).toBe(true);
    expect(await verify(proof, GET)).toEqual({ ok: false, reason: 'replay' });
    expect((await verify(await key.proof('GET', URL_), GET)).ok).toBe(true);
  });

  it('asks a shared replayStore after its own memory, with the proof window, and decides alone while the store fails (even by throwing)', async () => {
    const calls: Array<[string, number]> = [];
    let failing = false;
    const shared = new Set<string>();
    const replayStore = {
      add(key: string, ttlMs: number): Promise<boolean> {
        calls.push([key, ttlMs]);
        if (failing) throw new Error('store down');
        return Promise.resolve(shared.size !== shared.add(key).size);
      },
    };
    const [first, second] = [createDpopProofVerifier({ replayStore }), createDpopProofVerifier({ replayStore })];
    const key = await dpopKey();
    const proof = await key.proof('GET', URL_);
    expect([await first(proof, GET), await second(proof, GET)]).toEqual([{ ok: true, jkt: key.jkt }, { ok: false, reason: 'replay' }]);
    // A replay to the same instance is refused by its memory, without asking the store.
    expect(await first(proof, GET)).toEqual({ ok: false, reason: 'replay' });
    expect(calls.map(([, ttlMs]) => ttlMs)).toEqual([70_000, 70_000]);
    failing = true;
    const fresh = await key.proof('GET', URL_);
    expect([await first(fresh, GET), await first(fresh, GET)]).toEqual([{ ok: true, jkt: key.jkt }, { ok: false, reason: 'replay' }]);
  });

  it('accepts iat within 60 s back and 5 s ahead, and refuses it outside', async () => {
    const clock = clocked();
    const verify = createDpopProofVerifier({ clock: clock.now });
    const key = await dpopKey();
    const now = Math.floor(clock.now() / 1000);
    expect((await verify(await key.proof('GET', URL_, { iat: now - 65 }), GET)).ok).toBe(true);
    expect((await verify(await key.proof('GET', URL_, { iat: now + 5 }), GET)).ok).toBe(true);
    expect(await verify(await key.proof('GET', URL_, { iat: now - 66 }), GET)).toEqual({ ok: false, reason: 'iat' });
    expect(await verify(await key.proof('GET', URL_, { iat: now + 6 }), GET)).toEqual({ ok: false, reason: 'iat' });
  });

  it("requires ath = base64url(SHA-256(access token)) with a token, and none without", async () => {
    const verify = createDpopProofVerifier();
    const key = await dpopKey();
    const withToken = { ...GET, accessToken: 'token-a' };
    expect((await verify(await key.proof('GET', URL_, { accessToken: 'token-a' }), withToken)).ok).toBe(true);
    expect(await verify(await key.proof('GET', URL_, { accessToken: 'token-b' }), withToken)).toEqual({ ok: false, reason: 'ath' });
    expect(await verify(await key.proof('GET', URL_), withToken)).toEqual({ ok: false, reason: 'ath' });
    expect(await verify(await key.proof('GET', URL_, { accessToken: 'token-a' }), GET)).toEqual({ ok: false, reason: 'ath' });
  });

  it('refuses a wrong typ, a symmetric or unsigned alg, a missing or private jwk, a signature of another key, missing claims', async () => {
    const verify = createDpopProofVerifier();
    const key = await dpopKey();
    const other = await dpopKey();
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const [header, payload] = (await key.proof('GET', URL_)).split('.');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.jwk })).toString('base64url')}.${payload}.`;
    const hmac = await new SignJWT({ htm: 'GET', htu: URL_, iat: Math.floor(Date.now() / 1000), jti: 'x' })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'AAAA' } } as never)
      .sign(new Uint8Array(32));
    const cases: Array<[string, string]> = [
      [await key.proof('GET', URL_, { header: { typ: 'JWT' } }), 'signature'],
      [await key.proof('GET', URL_, { header: { jwk: undefined } }), 'jwk'],
      [await key.proof('GET', URL_, { header: { jwk: privateJwk } }), 'jwk'],
      [hmac, 'jwk'],
      [unsigned, 'signature'],
      [`${header}.${(await other.proof('GET', URL_)).split('.')[1]}.${(await other.proof('GET', URL_)).split('.')[2]}`, 'signature'],
      [await key.proof('GET', URL_, { claims: { jti: undefined } }), 'signature'],
      [await key.proof('GET', URL_, { claims: { jti: 'j'.repeat(257) } }), 'jti'],
      ['not.a.proof', 'signature'],
    ];
    for (const [proof, reason] of cases) expect(await verify(proof, GET)).toEqual({ ok: false, reason });
    expect(await verify(undefined, GET)).toEqual({ ok: false, reason: 'missing' });
  });

  it('remembers at most maxReplayEntries live proofs: past it refuses (fails closed) until the oldest expire', async () => {
    const clock = clocked();
    const verify = createDpopProofVerifier({ clock: clock.now, maxReplayEntries: 2 });
    const key = await dpopKey('ES256', clock.now);
    expect((await verify(await key.proof('GET', URL_), GET)).ok).toBe(true);
    expect((await verify(await key.proof('GET', URL_), GET)).ok).toBe(true);
    expect(await verify(await key.proof('GET', URL_), GET)).toEqual({ ok: false, reason: 'replay' });
    clock.advance(70_000); // maxAge 60 s + twice the 5 s skew
    expect((await verify(await key.proof('GET', URL_), GET)).ok).toBe(true);
  });
});
