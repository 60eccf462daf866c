// A fleet of 8 real Node processes sharing one real Redis: one token request per key for all of them.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClientCredentials } from '@tokenward/node';
import { createRedisTokenStore } from '../src/index.js';
import { clientIds, clientSecret, createAuthServer, resourceServers, type AuthServer } from '../../node/test/helpers/create-auth-server.js';
import { startFleet, type Fleet } from './helpers/fleet.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

const PROCESSES = 8;
const CALLERS = 500;
const TTL_SECONDS = 3;
const key = randomBytes(32).toString('base64url');
// Nine busy processes on two shared cores can stall an event loop past the 200 ms default, which
// is an outage as far as a store can tell (failover.test.ts covers that); these counts want none.
const REDIS_TIMEOUT_MS = 2_000;
let server: AuthServer;
let redis: RedisServer;
let fleet: Fleet;

beforeAll(async () => {
  [server, redis] = await Promise.all([createAuthServer({ accessTokenTTL: TTL_SECONDS }), startRedisServer()]);
  fleet = await startFleet(PROCESSES, { REDIS_URL: redis.url, TOKEN_KEY: key, TOKEN_ENDPOINT: server.tokenEndpoint, CLIENT_ID: clientIds.basic, CLIENT_SECRET: clientSecret });
});
afterAll(async () => {
  await fleet?.close();
  await Promise.all([server?.close(), redis?.close()]);
});

/** Every process cold (a new source, a new prefix), then `CALLERS` concurrent calls per audience in each. */
async function coldBurst(prefix: string, audiences: string[]) {
  server.reset();
  await fleet.all({ op: 'setup', prefix, timeoutMs: REDIS_TIMEOUT_MS });
  const reports = await fleet.all({ op: 'burst', callers: CALLERS, audiences });
  return { reports, failures: reports.flatMap((report) => report.failures), tokens: new Set(reports.flatMap((report) => report.hashes)) };
}

it(`${PROCESSES} processes × ${CALLERS} concurrent cold getAccessToken() on one key: exactly 1 token request`, async () => {
  const { reports, failures, tokens } = await coldBurst('one:', [resourceServers[0]!]);
  expect(failures).toEqual([]);
  expect(reports.map((report) => report.calls)).toEqual(Array(PROCESSES).fill(CALLERS));
  expect(server.counts.grants).toBe(1);
  expect(server.counts.tokenRequests).toBe(1);
  expect(tokens.size).toBe(1);
});

it(`three keys: exactly 3 token requests; after expiry, exactly 1 more per key; no token in clear in Redis`, async () => {
  const audiences = resourceServers.slice(0, 3);
  const first = await coldBurst('three:', audiences);
  expect(first.failures).toEqual([]);
  expect(server.counts.grants).toBe(3);
  expect(first.tokens.size).toBe(3);

  // Refresh-ahead runs while a key was asked for within one lifetime, then pauses (the node
  // README, idle keys): wait until the newest token is past its expiry.
  while (Date.now() < server.requestTimes.at(-1)! + TTL_SECONDS * 1000 + 300) await new Promise((resolve) => setTimeout(resolve, 100));
  const grantsBefore = server.counts.grants;
  const again = await fleet.all({ op: 'burst', callers: CALLERS, audiences });
  expect(again.flatMap((report) => report.failures)).toEqual([]);
  const fresh = new Set(again.flatMap((report) => report.hashes));
  expect(fresh.size).toBe(3);
  expect([...fresh].some((token) => first.tokens.has(token))).toBe(false);
  // After expiry: one request per key for the whole fleet.
  expect(server.counts.grants - grantsBefore).toBe(3);

  // Every key and value in Redis, scanned: neither a token nor its JWT payload appears in clear.
  const store = createRedisTokenStore({ url: redis.url, prefix: 'three:', encryptionKey: key, timeoutMs: REDIS_TIMEOUT_MS });
  const reader = createClientCredentials({ tokenEndpoint: server.tokenEndpoint, clientId: clientIds.basic, clientSecret, audienceParameter: 'resource', store });
  const clear = await Promise.all(audiences.map((audience) => reader.getAccessToken({ audience })));
  expect(server.counts.grants - grantsBefore).toBe(3); // read from Redis, not requested
  reader.dispose();
  await store.close();
  const dump = await redis.dump();
  const stored = [...dump].flatMap(([name, values]) => [name, ...values]).join('\n');
  expect(dump.size).toBeGreaterThanOrEqual(3);
  for (const token of clear) {
    expect(stored.includes(token)).toBe(false);
    expect(stored.includes(token.split('.')[1]!)).toBe(false);
  }
  // The values are JWEs (dir, A256GCM): five parts.
  const tokenValues = [...dump].filter(([name]) => name.startsWith('three:token:')).map(([, [value]]) => value!);
  expect(tokenValues.map((value) => value.split('.').length)).toEqual([5, 5, 5]);
});

it('refresh-ahead runs once per fleet: 8 processes asking all along make 1 request ahead of expiry, not 8', async () => {
  const audiences = [resourceServers[1]!];
  server.reset();
  await fleet.all({ op: 'setup', prefix: 'ahead:', timeoutMs: REDIS_TIMEOUT_MS });
  // Refresh-ahead is due 1.5-1.8 s into a 3 s token's life; the next one is due after 3 s.
  const reports = await fleet.all({ op: 'loop', callers: 20, audiences, everyMs: 100, durationMs: 2_400 });
  expect(reports.flatMap((report) => report.failures)).toEqual([]);
  expect(server.counts.grants).toBe(2);
  expect(new Set(reports.flatMap((report) => report.hashes)).size).toBe(2);
  // Every process adopted the refreshed token before its own was due.
  expect(reports.every((report) => report.hashes.length === 2)).toBe(true);
});
