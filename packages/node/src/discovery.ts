import { RefreshFailedError } from '@tokenward/core';
import * as oauth from 'oauth4webapi';
import { toRefreshError } from './classify.js';
import type { FetchLike } from './observe-fetch.js';

export interface DiscoveryOptions {
  issuer?: string;
  tokenEndpoint?: string;
  fetch: FetchLike;
  allowInsecureRequests: boolean;
  /** Aborts a discovery in flight (dispose). */
  signal: AbortSignal;
  timeoutMs: number;
}

/** Resolves the authorization server metadata; each caller may give up on its own signal. */
export type ResolveServer = (signal?: AbortSignal) => Promise<oauth.AuthorizationServer>;

/**
 * Metadata for the token endpoint. With `tokenEndpoint` it is static; with only `issuer` it is
 * discovered once (OpenID Connect well-known, then RFC 8414) and shared by every session. A
 * failed discovery is forgotten so that the next refresh tries again.
 */
export function createServerResolver(options: DiscoveryOptions): ResolveServer {
  const { issuer, tokenEndpoint } = options;
  if (tokenEndpoint !== undefined) {
    const server: oauth.AuthorizationServer = { issuer: issuer ?? new URL(tokenEndpoint).origin, token_endpoint: tokenEndpoint };
    return () => Promise.resolve(server);
  }
  let pending: Promise<oauth.AuthorizationServer> | undefined;
  return (signal) => {
    if (pending === undefined) {
      const started = discover(new URL(issuer as string), options);
      pending = started;
      started.catch(() => {
        if (pending === started) pending = undefined;
      });
    }
    return signal ? abortable(pending, signal) : pending;
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
    throw toRefreshError(error, 'Issuer discovery');
  }
}

/** Lets one waiter stop waiting without cancelling the shared work. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
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
