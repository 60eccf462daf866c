import type { RefreshReason, TokenResponse, TokenSet } from '@tokenward/core';

/** One request for a key's token, made when the process's own copy is missing or due. */
export interface TokenStoreRequest {
  /**
   * The key's identity across processes: SHA-256 (base64url) of the token endpoint or issuer,
   * the client id, the normalized key and, with DPoP, the key pair's thumbprint (a token bound to
   * one key pair is never shared with another). Safe to put in a storage key; it reveals none of them.
   */
  readonly id: string;
  readonly reason: RefreshReason;
  /** The process's own token for the key, if any: due, or refused by a resource server. */
  readonly current: TokenSet | undefined;
  /** Aborts on the session's refresh timeout and on dispose. */
  readonly signal: AbortSignal;
  /** Calls the token endpoint once: a grant for this key. */
  fetchToken(): Promise<TokenResponse>;
}

/**
 * Where `createClientCredentials` gets a token when its in-process copy is missing or due. The
 * sessions stay the hot path: a store is asked only on a refresh, never for a cached token. The
 * default is the in-process cache alone (`createMemoryTokenStore`); `@tokenward/redis` shares one
 * token per key across a fleet. See docs/architecture.md, "Fleet (Redis)".
 * @example
 * const logged: TokenStore = {
 *   obtain: async (request) => {
 *     console.log('token request', request.reason);
 *     return request.fetchToken();
 *   },
 * };
 * const tokens = createClientCredentials({ issuer, clientId, clientSecret, store: logged });
 */
export interface TokenStore {
  /** Resolves with the token to adopt for `request.id`: a shared one still valid, or a new one. */
  obtain(request: TokenStoreRequest): Promise<TokenResponse>;
  /** Releases connections the store opened. `createClientCredentials` never calls it. */
  close?(): Promise<void>;
}

/**
 * The default store: the process's own cache and nothing more. Each key's session holds its
 * token and single-flights its refresh, so a process makes one token request per key per
 * lifetime; this store just makes it.
 * @example
 * const tokens = createClientCredentials({ issuer, clientId, clientSecret, store: createMemoryTokenStore() });
 */
export function createMemoryTokenStore(): TokenStore {
  return { obtain: (request) => request.fetchToken() };
}
