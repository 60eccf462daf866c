import type { SharedToken, TokenSet } from './types.js';

/**
 * The part of a token a session may share with its peers: never the refresh token, never the local
 * `id`; without the access token when `withAccessToken` is false (cookie mode).
 * @example
 * coordinator.announce({ type: 'tokens', token: toSharedToken(token), signedIn: true });
 */
export function toSharedToken({ accessToken, tokenType, expiresAt, obtainedAt, scope }: SharedToken | TokenSet, withAccessToken = true): SharedToken {
  return { accessToken: withAccessToken ? accessToken : undefined, tokenType, expiresAt, obtainedAt, scope };
}
