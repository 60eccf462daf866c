import { RefreshFailedError } from '@tokenward/core';
import * as oauth from 'oauth4webapi';
import { toRefreshError } from './classify.js';
import type { FetchLike } from './observe-fetch.js';

/** Metadata older than this is discovered again before use. */
export const maxMetadataAgeMs = 24 * 3_600_000;
/** After a failed daily discovery the old metadata serves this long before the next try. */
const retryDiscoveryMs = 60_000;

export interface DiscoveryOptions {
  issuer?: string;
  tokenEndpoint?: string;
  fetch: FetchLike;
  allowInsecureRequests: boolean;
  /** Aborts a discovery in flight (dispose). */
  signal: AbortSignal;
  timeoutMs: number;
  now: () => number;
}

/** The authorization server metadata shared by every session; each caller may give up on its own signal. */
export interface ServerResolver {
  resolve(signal?: AbortSignal): Promise<oauth.AuthorizationServer>;
  /**
   * After the token endpoint of `stale` failed as if it had moved (404, 410, unreachable): the
   * metadata discovered since, or discovered anew now. Static metadata is returned as it is.
   */
  rediscover(stale: oauth.AuthorizationServer, signal?: AbortSignal): Promise<oauth.AuthorizationServer>;
}

/**
 * Metadata for the token endpoint. With `tokenEndpoint` it is static; with only `issuer` it is
 * discovered (OpenID Connect well-known, then RFC 8414) on first use, again when the token
 * endpoint looks moved, and at most daily otherwise. A failed first discovery is forgotten so
 * that the next refresh tries again; a failed daily one keeps the metadata it would replace.
 */
export function createServerResolver(options: DiscoveryOptions): ServerResolver {
  const { issuer, tokenEndpoint, now } = options;
  if (tokenEndpoint !== undefined) {
    const server: oauth.AuthorizationServer = { issuer: issuer ?? new URL(tokenEndpoint).origin, token_endpoint: tokenEndpoint };
    return { resolve: () => Promise.resolve(server), rediscover: () => Promise.resolve(server) };
  }
  let current: { server: oauth.AuthorizationServer; discoveredAt: number } | undefined;
  let pending: Promise<oauth.AuthorizationServer> | undefined;

  const start = (): Promise<oauth.AuthorizationServer> => {
    if (pending !== undefined) return pending;
    const started = discover(new URL(issuer as string), options).then((server) => {
      current = { server, discoveredAt: now() };
      return server;
    });
    pending = started;
    started.then(
      () => (pending = undefined),
      () => (pending = undefined),
    );
    return started;
  };

  return {
    resolve(signal) {
      if (current === undefined) return abortable(start(), signal);
      if (now() - current.discoveredAt < maxMetadataAgeMs) return Promise.resolve(current.server);
      const kept = current;
      return abortable(
        start().catch(() => {
          current = { server: kept.server, discoveredAt: now() - maxMetadataAgeMs + retryDiscoveryMs };
          return kept.server;
        }),
        signal,
      );
    },
    rediscover(stale, signal) {
      return current !== undefined && current.server !== stale ? Promise.resolve(current.server) : abortable(start(), signal);
    },
  };
}

async function discover(issuer: URL, options: DiscoveryOptions): Promise<oauth.AuthorizationServer> {
  const request = (algorithm: 'oidc' | 'oauth2') =>
    oauth.discoveryRequest(issuer, {
      algorithm,
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
      [oauth.customFetch]: options.fetch,
      [oauth.allowInsecureRequests]: options.allowInsecureRequests,
    });
  try {
    let response = await request('oidc');
    if (response.status === 404) {
      await response.body?.cancel();
      response = await request('oauth2');
    }
    const server = await oauth.processDiscoveryResponse(issuer, response);
    if (typeof server.token_endpoint !== 'string') {
      throw new RefreshFailedError(`The metadata of ${issuer.href} has no token_endpoint`, { kind: 'terminal' });
    }
    return server;
  } catch (error) {
    if (error instanceof oauth.OperationProcessingError && error.code === oauth.JSON_ATTRIBUTE_COMPARISON) {
      const found = (error.cause as { body?: { issuer?: unknown } } | undefined)?.body?.issuer;
      throw new RefreshFailedError(
        `Issuer mismatch: the metadata fetched for ${issuer.href} names the issuer ${JSON.stringify(found)}`,
        { kind: 'terminal' },
        { cause: error },
      );
    }
    throw toRefreshError(error, `Issuer discovery at ${issuer.href}`);
  }
}

/** Lets one waiter stop waiting without cancelling the shared work. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
