// DPoP proof ids shared by two API instances through one real Redis.
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createDpopProofVerifier, createTokenVerifier } from '@tokenward/server';
import { AUDIENCE, ISSUER, body, setup } from '../../server/test/helpers/harness.js';
import { dpopKey } from '../../server/test/helpers/dpop-key.js';
import { createRedisReplayStore } from '../src/index.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

const NOTES = 'http://localhost/api/notes';
let redis: RedisServer;
let run = 0;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.close());

/** A replay store of its own connection, closed with the test. */
function replayStore(prefix: string) {
  const store = createRedisReplayStore({ url: redis.url, prefix });
  onTestFinished(() => store.close());
  return store;
}

describe('createRedisReplayStore', () => {
  it('accepts a DPoP proof once across two API instances: the copy sent to the other instance is refused', async () => {
    const context = setup({ dpop: true });
    const key = await dpopKey();
    const login = await context.client().request('/auth/login', { json: { username: 'alice', password: 'ecila' }, headers: { dpop: await key.proof('POST', 'http://localhost:3000/auth/login') } });
    const token = String((await body(login)).access_token);
    const prefix = `replay:${++run}:`;
    const instance = () => createTokenVerifier({ jwks: () => context.auth.jwks(), issuer: ISSUER, audience: AUDIENCE, dpop: true, dpopReplayStore: replayStore(prefix) });
    const [first, second] = [instance(), instance()];
    const request = async (proof: string) => new Request(NOTES, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    const proof = await key.proof('GET', NOTES, { accessToken: token });
    expect((await first(await request(proof))).ok).toBe(true);
    const replayed = await second(await request(proof));
    expect(replayed.ok ? 'accepted' : replayed.response.headers.get('www-authenticate')).toContain('invalid_dpop_proof');
    // A fresh proof passes on either instance; Redis holds each proof id with its expiry.
    expect((await second(await request(await key.proof('GET', NOTES, { accessToken: token })))).ok).toBe(true);
    const keys = [...(await redis.dump()).keys()].filter((name) => name.startsWith(prefix));
    expect(keys).toHaveLength(2);
    for (const name of keys) expect(await redis.client.pttl(name)).toBeGreaterThan(60_000);
  });

  it("without it each instance remembers only its own proofs; with Redis stopped, the instance's memory still refuses its own replays", async () => {
    const key = await dpopKey();
    const target = { method: 'POST', url: 'http://localhost:3000/auth/refresh' };
    const proof = await key.proof(target.method, target.url);
    const [alone, other] = [createDpopProofVerifier(), createDpopProofVerifier()];
    expect([(await alone(proof, target)).ok, (await other(proof, target)).ok]).toEqual([true, true]);

    const store = replayStore(`replay:${++run}:`);
    const verify = createDpopProofVerifier({ replayStore: store });
    await redis.stop();
    onTestFinished(() => redis.start());
    const fresh = await key.proof(target.method, target.url);
    expect(await verify(fresh, target)).toEqual({ ok: true, jkt: key.jkt });
    expect(await verify(fresh, target)).toEqual({ ok: false, reason: 'replay' });
  });

  it('uses up no proof id for a proof refused on another ground', async () => {
    const key = await dpopKey();
    const prefix = `replay:${++run}:`;
    const verify = createDpopProofVerifier({ replayStore: replayStore(prefix) });
    const proof = await key.proof('POST', 'http://localhost:3000/auth/refresh');
    expect(await verify(proof, { method: 'POST', url: 'http://localhost:3000/auth/login' })).toEqual({ ok: false, reason: 'htu' });
    expect([...(await redis.dump()).keys()].filter((name) => name.startsWith(prefix))).toEqual([]);
  });
});
