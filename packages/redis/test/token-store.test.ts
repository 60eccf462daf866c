// createRedisTokenStore in one process against a real redis-server and a real oidc-provider.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { isTokenwardError } from '@tokenward/core';
import { createClientCredentials } from '@tokenward/node';
import { createRedisTokenStore, type RedisTokenStoreOptions } from '../src/index.js';
import { clientIds, clientSecret, createAuthServer, resourceServers, type AuthServer } from '../../node/test/helpers/create-auth-server.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

const keyOne = randomBytes(32).toString('base64url');
const keyTwo = new Uint8Array(randomBytes(32));
let server: AuthServer;
let redis: RedisServer;
let run = 0;

beforeAll(async () => {
  [server, redis] = await Promise.all([createAuthServer({ accessTokenTTL: 60 }), startRedisServer()]);
});
afterEach(() => server.reset());
afterAll(() => Promise.all([server.close(), redis.close()]));

interface Logged {
  warn: string[];
  info: string[];
}

/** A token source on a Redis store, both closed when the test ends; its store's log lines. */
function source(options: Partial<RedisTokenStoreOptions>, prefix = `unit:${run}:`) {
  const logs: Logged = { warn: [], info: [] };
  const store = createRedisTokenStore({ url: redis.url, prefix, logger: { warn: (line: string) => logs.warn.push(line), info: (line: string) => logs.info.push(line) }, ...options } as RedisTokenStoreOptions);
  const tokens = createClientCredentials({ tokenEndpoint: server.tokenEndpoint, clientId: clientIds.basic, clientSecret, audienceParameter: 'resource', store });
  onTestFinished(async () => {
    tokens.dispose();
    await store.close();
  });
  return { tokens, logs };
}

const codeOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return isTokenwardError(error) ? error.code : String(error);
  }
  return 'no error';
};

describe('encryption at rest', () => {
  it('refuses to start without an encryptionKey unless allowPlaintext is true, and refuses a key that is not 32 bytes', () => {
    expect(codeOf(() => createRedisTokenStore({ url: redis.url }))).toBe('ERR_CONFIG');
    expect(codeOf(() => createRedisTokenStore({ url: redis.url, encryptionKey: [] }))).toBe('ERR_CONFIG');
    expect(codeOf(() => createRedisTokenStore({ url: redis.url, encryptionKey: randomBytes(16).toString('base64url') }))).toBe('ERR_CONFIG');
    expect(codeOf(() => createRedisTokenStore({ url: redis.url, encryptionKey: new Uint8Array(31) }))).toBe('ERR_CONFIG');
    const plain = createRedisTokenStore({ url: redis.url, allowPlaintext: true });
    void plain.close();
  });

  it('keeps only ciphertext in Redis; with allowPlaintext, the token is there in clear (the control)', async () => {
    run += 1;
    const sealed = source({ encryptionKey: keyOne }, `sealed:${run}:`);
    const plain = source({ allowPlaintext: true }, `plain:${run}:`);
    const [secret, visible] = await Promise.all([sealed.tokens.getAccessToken({ audience: resourceServers[0] }), plain.tokens.getAccessToken({ audience: resourceServers[0] })]);
    const dump = await redis.dump();
    const values = (prefix: string) => [...dump].filter(([name]) => name.startsWith(prefix)).flatMap(([, stored]) => stored).join('\n');
    expect(values(`sealed:${run}:`).includes(secret)).toBe(false);
    expect(values(`sealed:${run}:`).split('.')).toHaveLength(5);
    expect(values(`plain:${run}:`).includes(visible)).toBe(true);
  });

  it('rotates keys: [new, old] opens what old sealed; a store with only a key it does not know asks the server', async () => {
    run += 1;
    const old = source({ encryptionKey: keyOne });
    const token = await old.tokens.getAccessToken({ audience: resourceServers[1] });
    const rotated = source({ encryptionKey: [keyTwo, keyOne] });
    expect(await rotated.tokens.getAccessToken({ audience: resourceServers[1] })).toBe(token);
    expect(server.counts.grants).toBe(1);
    const stranger = source({ encryptionKey: randomBytes(32).toString('base64url') });
    expect(await stranger.tokens.getAccessToken({ audience: resourceServers[1] })).not.toBe(token);
    expect(server.counts.grants).toBe(2);
  });
});

describe('the hot path', () => {
  it('two sources on one Redis make one token request; cached calls never touch Redis', async () => {
    run += 1;
    const [one, two] = [source({ encryptionKey: keyOne }), source({ encryptionKey: keyOne })];
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, call) => (call % 2 ? one : two).tokens.getAccessToken({ audience: resourceServers[0] })));
    expect(new Set(tokens).size).toBe(1);
    expect(server.counts.grants).toBe(1);

    const processed = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.client.info('stats'))![1]);
    const before = await processed();
    for (let call = 0; call < 1_000; call += 1) await one.tokens.getAccessToken({ audience: resourceServers[0] });
    // Only the first INFO itself was processed in between.
    expect((await processed()) - before).toBe(1);
  });

  it('works through an ioredis client the caller owns, and leaves it open on close', async () => {
    run += 1;
    const client = new Redis(redis.url);
    onTestFinished(() => client.disconnect());
    const owned = source({ client, encryptionKey: keyOne, url: undefined });
    const viaUrl = source({ encryptionKey: keyOne });
    const token = await owned.tokens.getAccessToken({ audience: resourceServers[2] });
    expect(await viaUrl.tokens.getAccessToken({ audience: resourceServers[2] })).toBe(token);
    expect(server.counts.grants).toBe(1);
    const store = createRedisTokenStore({ client, encryptionKey: keyOne });
    await store.close();
    expect(await client.ping()).toBe('PONG');
  });
});

describe('Redis never a single point of failure', () => {
  it('a frozen Redis (SIGSTOP): calls fall back after the 200 ms bound, logged once; when it thaws, recovery is logged once', async () => {
    run += 1;
    const { tokens, logs } = source({ encryptionKey: keyOne });
    await tokens.getAccessToken({ audience: resourceServers[0] }); // connected
    process.kill(redis.pid!, 'SIGSTOP');
    try {
      const frozen = await Promise.all([resourceServers[1], resourceServers[2]].flatMap((audience) => Array.from({ length: 50 }, () => tokens.getAccessToken({ audience }))));
      expect(new Set(frozen).size).toBe(2);
      expect(server.counts.grants).toBe(3);
      expect(logs.warn).toHaveLength(1);
      expect(logs.warn[0]).toMatch(/^tokenward\/redis: Redis unavailable \((Command timed out|timeout after 200 ms)\)/);
    } finally {
      process.kill(redis.pid!, 'SIGCONT');
    }
    tokens.session({ audience: resourceServers[0] }).invalidate(await tokens.getAccessToken({ audience: resourceServers[0] }));
    await tokens.getAccessToken({ audience: resourceServers[0] });
    expect(logs.warn).toHaveLength(1);
    expect(logs.info).toHaveLength(1);
    expect(logs.info[0]).toMatch(/^tokenward\/redis: Redis is back after \d+ ms; refreshes served without it: 2$/);
  });

  it('a Redis that is not there at all: every call is served by the process alone', async () => {
    const { tokens, logs } = source({ encryptionKey: keyOne, url: 'redis://127.0.0.1:1' });
    const all = await Promise.all(Array.from({ length: 20 }, () => tokens.getAccessToken({ audience: resourceServers[0] })));
    expect(new Set(all).size).toBe(1);
    expect(server.counts.grants).toBe(1);
    expect(logs.warn).toHaveLength(1);
  });
});
