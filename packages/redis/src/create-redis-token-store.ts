import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@tokenward/core';
import { toTokenSet } from '@tokenward/core/internal';
import type { TokenResponse, TokenSet } from '@tokenward/core';
import type { TokenStore, TokenStoreRequest } from '@tokenward/node';
import { bounded, connectRedis, type RedisSource } from './redis-connection.js';
import { transitionLink, type LinkState } from './redis-link.js';
import { createTokenCipher, type EncryptionKey, type StoredToken } from './token-cipher.js';
import { PUBLISH, RELEASE, RENEW } from './token-scripts.js';

/**
 * Options of `createRedisTokenStore`: `url` or `client` (an ioredis client you own), and an
 * `encryptionKey` unless `allowPlaintext` says otherwise.
 * @example
 * const options: RedisTokenStoreOptions = { url: process.env.REDIS_URL!, encryptionKey: [process.env.TOKEN_KEY!, process.env.OLD_TOKEN_KEY!] };
 */
export type RedisTokenStoreOptions = RedisSource & {
  /** Prepended to every key. Default `tokenward:`. */
  prefix?: string;
  /** 32 bytes (Uint8Array or base64url); a list to rotate: the first seals, all open. */
  encryptionKey?: EncryptionKey | readonly EncryptionKey[];
  /** Stores tokens in clear. Only for a Redis nobody else can read. */
  allowPlaintext?: boolean;
  /** The longest any one Redis operation may take before the process goes on without it. Default 200 ms. */
  timeoutMs?: number;
  /** The lock's lease: renewed while its holder's token request runs; a dead holder's runs out. Default 5,000 ms. */
  lockLeaseMs?: number;
  /** How often a process waiting for another's token looks again. Default 25 ms (±50 % jitter). */
  pollMs?: number;
  /** Where outages are reported, one line when Redis goes and one when it is back. Default `console`. */
  logger?: Pick<Console, 'warn' | 'info'>;
};

/** A shared token still this far from expiry is adopted; closer ones are refreshed. */
const MIN_REMAINING_MS = 2_000;

/** Marks a failure of Redis itself, as opposed to one of the token endpoint. */
class RedisUnavailable extends Error {}

/**
 * A `TokenStore` shared by a fleet through Redis: when a process's own copy of a key's token is
 * missing or due, it adopts a newer one from Redis or, holding a lock (`SET NX PX` with a fencing
 * value), requests it once for every process. Tokens are encrypted at rest. Redis is never a
 * single point of failure: past `timeoutMs`, or while it is down, each process falls back to its
 * own cache and single-flight, and it logs the outage once. See docs/architecture.md, "Fleet (Redis)".
 * @example
 * const store = createRedisTokenStore({ url: process.env.REDIS_URL!, encryptionKey: process.env.TOKEN_KEY! });
 * const tokens = createClientCredentials({ issuer, clientId, clientSecret, store });
 * process.on('SIGTERM', () => { tokens.dispose(); void store.close(); });
 */
export function createRedisTokenStore(options: RedisTokenStoreOptions): TokenStore & { close(): Promise<void> } {
  const keys = options?.encryptionKey === undefined ? [] : ([] as EncryptionKey[]).concat(options.encryptionKey as EncryptionKey);
  if (keys.length === 0 && options?.allowPlaintext !== true) {
    throw new ConfigError('createRedisTokenStore needs an encryptionKey (32 bytes) to keep tokens encrypted at rest, or allowPlaintext: true');
  }
  const cipher = createTokenCipher(keys);
  const { prefix = 'tokenward:', timeoutMs = 200, lockLeaseMs = 5_000, pollMs = 25, logger = console } = options;
  const connection = connectRedis(options, timeoutMs);
  const { redis } = connection;
  let link: LinkState = { status: 'up' };

  const note = (event: Parameters<typeof transitionLink>[1]) => {
    const next = transitionLink(link, event);
    link = next.state;
    if (next.log) logger[next.log.level](next.log.message);
  };

  /** One Redis operation, bounded; any failure becomes `RedisUnavailable`. */
  const op = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      await connection.ready(timeoutMs);
      const result = await bounded(run(), timeoutMs);
      note({ type: 'answered', at: Date.now() });
      return result;
    } catch (error) {
      throw new RedisUnavailable(error instanceof Error ? error.message : 'error');
    }
  };

  const tokenKey = (id: string) => `${prefix}token:${id}`;
  const lockKey = (id: string) => `${prefix}lock:${id}`;

  const readShared = async (id: string): Promise<StoredToken | undefined> => {
    const text = await op(() => redis.get(tokenKey(id)));
    return text === null ? undefined : cipher.open(text, id);
  };

  const fetchAndPublish = async (request: TokenStoreRequest, fence: string): Promise<TokenResponse> => {
    const { id } = request;
    const renew = setInterval(() => void op(() => redis.eval(RENEW, 1, lockKey(id), fence, lockLeaseMs)).catch(() => undefined), lockLeaseMs / 3);
    renew.unref();
    const sentAt = Date.now();
    let response: TokenResponse;
    try {
      response = await request.fetchToken();
    } catch (error) {
      await op(() => redis.eval(RELEASE, 1, lockKey(id), fence)).catch(() => undefined);
      throw error;
    } finally {
      clearInterval(renew);
    }
    try {
      const token = toTokenSet(response, sentAt, 0);
      const ttl = token.expiresAt - Date.now();
      if (token.accessToken === undefined || ttl < MIN_REMAINING_MS) throw new Error('not worth sharing');
      const sealed = await cipher.seal({ id, accessToken: token.accessToken, tokenType: token.tokenType, scope: token.scope, expiresAt: token.expiresAt });
      await op(() => redis.eval(PUBLISH, 2, tokenKey(id), lockKey(id), fence, sealed, Math.floor(ttl)));
    } catch (error) {
      // The session validates the response itself; the fleet's lock runs out on its own.
      if (error instanceof RedisUnavailable) note({ type: 'failed', at: Date.now(), reason: error.message });
      await op(() => redis.eval(RELEASE, 1, lockKey(id), fence)).catch(() => undefined);
    }
    return response;
  };

  const coordinated = async (request: TokenStoreRequest): Promise<TokenResponse> => {
    const { id, signal } = request;
    for (;;) {
      const shared = await readShared(id);
      if (adoptable(shared, request.current)) return toResponse(shared!);
      const fence = randomUUID();
      if ((await op(() => redis.set(lockKey(id), fence, 'PX', lockLeaseMs, 'NX'))) === 'OK') {
        // Another process may have published between our read and our lock.
        const again = await readShared(id);
        if (!adoptable(again, request.current)) return fetchAndPublish(request, fence);
        await op(() => redis.eval(RELEASE, 1, lockKey(id), fence)).catch(() => undefined);
        return toResponse(again!);
      }
      await sleep(pollMs * (0.5 + Math.random()), undefined, { signal, ref: false }).catch(() => {
        throw signal.reason;
      });
    }
  };

  return {
    async obtain(request) {
      try {
        return await coordinated(request);
      } catch (error) {
        if (!(error instanceof RedisUnavailable) || request.signal.aborted) throw error;
        note({ type: 'failed', at: Date.now(), reason: error.message });
        return request.fetchToken();
      }
    },
    close: () => connection.close(),
  };
}

/** A shared token is taken if it has time left and is newer than (not the same as) ours. */
function adoptable(shared: StoredToken | undefined, current: TokenSet | undefined): boolean {
  if (shared === undefined || shared.expiresAt - Date.now() < MIN_REMAINING_MS) return false;
  return current === undefined || (shared.accessToken !== current.accessToken && shared.expiresAt > current.expiresAt);
}

function toResponse(token: StoredToken): TokenResponse {
  return { accessToken: token.accessToken, tokenType: token.tokenType, scope: token.scope, expiresAt: token.expiresAt };
}
