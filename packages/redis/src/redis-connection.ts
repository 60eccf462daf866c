import { ConfigError } from '@tokenward/core';
import { Redis } from 'ioredis';

/** A Redis to use: a URL the store connects to (and closes), or a client the caller owns. */
export type RedisSource = { url: string; client?: undefined } | { client: Redis; url?: undefined };

/** The store's handle on Redis. */
export interface RedisConnection {
  readonly redis: Redis;
  /** Resolves once the client is ready, or rejects after `timeoutMs`: at once if it was ready before and lost it. */
  ready(timeoutMs: number): Promise<void>;
  /** Closes the client if the store opened it. */
  close(): Promise<void>;
}

/**
 * Connects from a URL with the settings a fallback needs: no offline queue (a command while
 * disconnected fails at once instead of running late, after its caller moved on), one attempt
 * per command, a bounded connect and command time, and reconnection every 100-500 ms forever,
 * so the store recovers when Redis returns.
 * @example
 * const { redis, close } = connectRedis({ url: 'redis://127.0.0.1:6379' }, 200);
 */
export function connectRedis(source: RedisSource, timeoutMs: number): RedisConnection {
  if (source?.client === undefined && typeof source?.url !== 'string') throw new ConfigError('a Redis store needs `url` or `client`');
  const owned = source.client === undefined;
  const redis = source.client ?? new Redis(source.url!, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1_000),
    retryStrategy: (times) => Math.min(100 * times, 500),
  });
  // Errors are answered per call (the fallback); an unhandled 'error' event would crash the process.
  if (owned) redis.on('error', () => undefined);
  let everReady = redis.status === 'ready';
  // One listener for every call waiting on the first connection, however many keys start at once.
  const firstReady = everReady ? Promise.resolve() : new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  redis.on('ready', () => void (everReady = true));
  return {
    redis,
    async ready(ms) {
      if (redis.status === 'ready') return;
      if (everReady) throw new Error(`connection ${redis.status}`);
      await bounded(firstReady, ms);
    },
    async close() {
      if (owned) redis.disconnect();
    },
  };
}

/** `promise`, or a rejection after `ms`: no Redis call waits longer. */
export function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
