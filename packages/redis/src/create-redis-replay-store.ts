import type { ReplayStore } from '@tokenward/server';
import { connectRedis, type RedisSource } from './redis-connection.js';

/**
 * Options of `createRedisReplayStore`.
 * @example
 * const options: RedisReplayStoreOptions = { url: process.env.REDIS_URL!, prefix: 'shop:dpop:' };
 */
export type RedisReplayStoreOptions = RedisSource & {
  /** Prepended to every key. Default `tokenward:dpop:`. */
  prefix?: string;
  /** How long one check may wait for Redis. Default 200 ms. */
  timeoutMs?: number;
};

/**
 * `@tokenward/server`'s `ReplayStore` on Redis: the DPoP proof ids every instance has seen, so a
 * proof captured in flight is accepted once across the fleet, not once per instance. Each check is
 * one `SET key NX PX ttl`: atomic, and Redis expires the key when the proof could no longer pass.
 * When Redis cannot answer, the check rejects and the verifier falls back to its instance's memory.
 * @example
 * const dpopReplayStore = createRedisReplayStore({ url: process.env.REDIS_URL! });
 * const auth = createAuthHandler({ dpop: true, dpopReplayStore, authenticate, issuer, audience });
 * const verify = createTokenVerifier({ dpop: true, dpopReplayStore, jwksUrl, issuer, audience });
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): ReplayStore & { close(): Promise<void> } {
  const { prefix = 'tokenward:dpop:', timeoutMs = 200 } = options;
  const connection = connectRedis(options, timeoutMs);
  return {
    async add(key, ttlMs) {
      await connection.ready(timeoutMs);
      return (await connection.redis.set(prefix + key, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
    },
    close: () => connection.close(),
  };
}
