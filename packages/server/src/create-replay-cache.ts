/**
 * Where DPoP proof ids are remembered across server instances (`@tokenward/redis`'s
 * `createRedisReplayStore`), so that a proof replayed to another instance behind a load balancer
 * is refused too. The contract: `add(key, ttlMs)` resolves `true` if and only if no call added
 * `key` within the last `ttlMs`, atomically (of concurrent calls with one key, one gets `true`).
 */
export interface ReplayStore {
  add(key: string, ttlMs: number): Promise<boolean>;
}

/** Remembers values for a fixed time; `add` says whether a value is new. */
export interface ReplayCache {
  /** `true` the first time `key` is added within its lifetime; `false` for a repeat, or when full. */
  add(key: string): boolean;
  readonly size: number;
}

/**
 * A bounded in-memory replay cache: each key is kept `ttlMs` from when it was first added. Keys
 * are inserted in time order with one fixed lifetime, so they also expire in insertion order and
 * pruning only looks at the oldest. When `maxEntries` live keys are held it refuses new ones
 * (fails closed): forgetting a live key would let its proof be replayed.
 *
 * @example
 * const seen = createReplayCache({ ttlMs: 70_000, maxEntries: 100_000, clock: Date.now });
 * if (!seen.add(`${jkt}:${jti}`)) refuse();
 */
export function createReplayCache({ ttlMs, maxEntries, clock }: { ttlMs: number; maxEntries: number; clock: () => number }): ReplayCache {
  const expiries = new Map<string, number>();
  return {
    add(key) {
      const now = clock();
      for (const [oldest, expiresAt] of expiries) {
        if (expiresAt > now) break;
        expiries.delete(oldest);
      }
      if (expiries.has(key) || expiries.size >= maxEntries) return false;
      expiries.set(key, now + ttlMs);
      return true;
    },
    get size() {
      return expiries.size;
    },
  };
}
