/** A token bucket: `burst` requests at once, refilled at `perMinute`. */
export interface RateLimit {
  burst: number;
  perMinute: number;
}

export interface RateLimiter {
  /** Takes one token for `key`: 0 when allowed, else the seconds until one is available (Retry-After). */
  take(key: string): number;
  /** Keys tracked now (buckets not known to be full). */
  readonly size: number;
}

const SWEEP_AT = 10_000;

/**
 * In-process token buckets, one per key (a client address, a family). A burst up to `burst`
 * passes at once; sustained traffic is held to `perMinute`. Per instance: behind a load
 * balancer each instance counts its own share.
 *
 * @example
 * const limiter = createRateLimiter({ burst: 10, perMinute: 10 }, Date.now);
 * const retryAfter = limiter.take(address); // 0: go on
 */
export function createRateLimiter({ burst, perMinute }: RateLimit, clock: () => number): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = perMinute / 60_000;
  const level = (bucket: { tokens: number; at: number }, now: number) => Math.min(burst, bucket.tokens + (now - bucket.at) * perMs);
  // The next sweep waits until the map has doubled since the last one: each sweep visits n buckets
  // after at least n/2 new keys, so a flood of addresses costs O(1) per request, not a full scan.
  let sweepAt = SWEEP_AT;

  return {
    get size() {
      return buckets.size;
    },
    take(key) {
      const now = clock();
      if (buckets.size >= sweepAt) {
        // Full buckets carry no information: dropping them bounds memory under many addresses.
        for (const [name, bucket] of buckets) if (level(bucket, now) >= burst) buckets.delete(name);
        sweepAt = Math.max(SWEEP_AT, 2 * buckets.size);
      }
      const bucket = buckets.get(key) ?? { tokens: burst, at: now };
      const tokens = level(bucket, now);
      if (tokens >= 1) {
        buckets.set(key, { tokens: tokens - 1, at: now });
        return 0;
      }
      buckets.set(key, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
    },
  };
}
