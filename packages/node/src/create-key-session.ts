import { createSession } from '@tokenward/core';
import type { Clock, RefreshPolicy, Session, TokenResponse } from '@tokenward/core';
import type * as oauth from 'oauth4webapi';
import { toRefreshError } from './classify.js';
import type { ClockOffset } from './clock-offset.js';
import type { ServerResolver } from './discovery.js';
import type { DpopKey } from './create-dpop-key.js';
import { createIdlePause } from './idle-pause.js';
import type { FetchLike } from './observe-fetch.js';
import { withTerminalRetry } from './terminal-retry.js';
import type { NormalizedKey } from './token-cache.js';
import { requestToken } from './token-endpoint.js';
import type { TokenStore } from './token-store.js';

/** What every key's session shares: the server, the client and its credentials, the ports. */
export interface KeySessionContext {
  resolver: ServerResolver;
  client: oauth.Client;
  auth: Promise<oauth.ClientAuth>;
  signsAssertion: boolean;
  audienceParameter: 'audience' | 'resource';
  fetch: FetchLike;
  offset: ClockOffset;
  allowInsecureRequests: boolean;
  defaultExpiresIn: number;
  terminalRetryMs: number;
  policy?: Partial<RefreshPolicy>;
  clock?: Clock;
  random?: () => number;
  now: () => number;
  store: TokenStore;
  /** The DPoP key every token request proves possession of, when DPoP is on. */
  dpop: Promise<DpopKey> | undefined;
  /** The key's identity across processes (`TokenStoreRequest.id`); it names the DPoP key too. */
  storeId(key: NormalizedKey): Promise<string>;
}

/**
 * The session of one key: client credentials grants for it, terminal refusals retried after a
 * while, refresh-ahead paused while nobody asks. Each demand marks it used (`touch`, for the
 * cache's recency); disposing it calls `onDispose` (so the cache forgets it).
 * @example
 * const session = createKeySession(normalizeKey({ scope: 'read' }), context, touch, () => cache.delete(id, session));
 */
export function createKeySession(key: NormalizedKey, context: KeySessionContext, touch: () => void, onDispose: () => void): Session {
  const { resolver, fetch, offset, now } = context;
  const idle = createIdlePause(now, context.defaultExpiresIn * 1000);
  let id: Promise<string> | undefined;
  // A grant for this key: the one call the store makes when it needs a new token.
  const fetchToken = async (signal: AbortSignal): Promise<TokenResponse> => {
    const [server, clientAuth, dpop] = await Promise.all([resolver.resolve(signal), context.auth, context.dpop]).catch((error: unknown) => {
      throw toRefreshError(error);
    });
    return requestToken({
      server,
      rediscover: (stale) => resolver.rediscover(stale, signal),
      client: context.client,
      auth: clientAuth,
      signsAssertion: context.signsAssertion,
      parameters: parametersFor(key, context.audienceParameter),
      fetch,
      offset,
      allowInsecureRequests: context.allowInsecureRequests,
      signal,
      defaultExpiresIn: context.defaultExpiresIn,
      dpop: dpop?.handle,
    });
  };
  const inner = createSession({
    policy: context.policy,
    clock: context.clock,
    random: context.random,
    lifecycle: idle.lifecycle,
    refresh: async ({ signal, reason, current }) => {
      id ??= context.storeId(key);
      const storeId = await id.catch((error: unknown) => {
        throw toRefreshError(error);
      });
      return context.store.obtain({ id: storeId, reason, current, signal, fetchToken: () => fetchToken(signal) });
    },
  });
  idle.watch(inner);
  const session = withTerminalRetry(inner, context.terminalRetryMs, now);
  const demand = () => {
    idle.demand();
    touch();
  };
  return {
    ...session,
    getTokenSet(options) {
      demand();
      return session.getTokenSet(options);
    },
    getAccessToken(options) {
      demand();
      return session.getAccessToken(options);
    },
    refresh() {
      demand();
      return session.refresh();
    },
    dispose() {
      onDispose();
      session.dispose();
    },
  };
}

function parametersFor(key: NormalizedKey, audienceParameter: 'audience' | 'resource'): URLSearchParams {
  const parameters = new URLSearchParams();
  if (key.scope !== undefined) parameters.set('scope', key.scope);
  const resources = new Set(key.resource);
  if (key.audience !== undefined) {
    if (audienceParameter === 'resource') resources.add(key.audience);
    else parameters.set('audience', key.audience);
  }
  for (const resource of resources) parameters.append('resource', resource);
  return parameters;
}
