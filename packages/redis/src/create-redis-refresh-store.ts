import type { FamilyRecord, RefreshStore, UpstreamLease } from '@tokenward/server';
import { connectRedis, type RedisSource } from './redis-connection.js';
import { COMPARE_AND_SWAP, CREATE, FIND, PRUNE, REVOKE_FAMILY, REVOKE_USER, UNSEAL } from './family-scripts.js';
import { CLAIM_UPSTREAM, RELEASE_UPSTREAM } from './lease-scripts.js';

/**
 * Options of `createRedisRefreshStore`.
 * @example
 * const options: RedisRefreshStoreOptions = { url: process.env.REDIS_URL!, prefix: 'shop:auth:' };
 */
export type RedisRefreshStoreOptions = RedisSource & {
  /** Prepended to every key. Default `tokenward:rt:`. */
  prefix?: string;
  /** Connection settle time for a store that opens its own client. Default 1,000 ms. */
  timeoutMs?: number;
};

/**
 * `@tokenward/server`'s `RefreshStore` on Redis: every server instance behind a load balancer
 * shares one set of refresh-token families, grace and reuse detection included. Each write is
 * one Lua script, so a rotation is one atomic compare-and-swap however many instances race.
 * Unlike the token cache there is no fallback: a refresh cannot be answered safely without the
 * family, so a Redis failure fails that refresh (the browser retries it). With an OpenID upstream,
 * its lease makes the provider refresh one per family across every instance.
 * @example
 * const store = createRedisRefreshStore({ url: process.env.REDIS_URL! });
 * const auth = createAuthHandler({ store, authenticate, issuer, audience });
 */
export function createRedisRefreshStore(options: RedisRefreshStoreOptions): RefreshStore & UpstreamLease & { close(): Promise<void> } {
  const { prefix = 'tokenward:rt:', timeoutMs = 1_000 } = options;
  const connection = connectRedis(options, timeoutMs);
  const { redis } = connection;
  const run = async (script: string, ...args: (string | number)[]): Promise<unknown> => {
    await connection.ready(timeoutMs);
    return redis.eval(script, 0, prefix, ...args);
  };
  const parse = (json: unknown): FamilyRecord | undefined => (typeof json === 'string' ? (JSON.parse(json) as FamilyRecord) : undefined);

  return {
    async create(record) {
      if ((await run(CREATE, JSON.stringify(record))) !== 1) throw new Error('refresh store: family or token already exists');
    },
    findByToken: async (hash) => parse(await run(FIND, hash)),
    compareAndSwap: async (next, expectedVersion) => (await run(COMPARE_AND_SWAP, JSON.stringify(next), expectedVersion)) === 1,
    revokeFamily: async (id) => (await run(REVOKE_FAMILY, id)) === 1,
    revokeUser: async (sub) => Number(await run(REVOKE_USER, sub)),
    async prune(now) {
      const [count, sealed] = (await run(PRUNE, now)) as [number, string[]];
      // Dropping a sealed token never changes the version: replace the exact record read, or leave it.
      for (const id of sealed) {
        const json = await redis.get(`${prefix}family:${id}`);
        const family = parse(json);
        if (json === null || family === undefined) continue;
        await run(UNSEAL, id, json, JSON.stringify({ ...family, sealed: undefined, sealedUntil: undefined }));
      }
      return count;
    },
    claimUpstream: async (id, holder, until, now) => (await run(CLAIM_UPSTREAM, id, holder, Math.ceil(until), Math.floor(now))) === 1,
    async releaseUpstream(id, holder) {
      await run(RELEASE_UPSTREAM, id, holder);
    },
    close: () => connection.close(),
  };
}
