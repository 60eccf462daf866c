import type { SharedToken, TokenSet } from './types.js';

/**
 * The part of a token a session may share with its peers: never the refresh token, never the local
 * `id`; without the access token when `withAccessToken` is false (cookie mode).
 * @example
 * coordinator.announce({ type: 'tokens', token: toSharedToken(token), signedIn: true });
 */
export function toSharedToken(token: SharedToken | TokenSet, withAccessToken = true): SharedToken {
  const { accessToken, tokenType, expiresAt, obtainedAt, scope } = token;
  const shared: { -readonly [K in keyof SharedToken]: SharedToken[K] } = { tokenType, expiresAt, obtainedAt };
  if (withAccessToken && accessToken !== undefined) shared.accessToken = accessToken;
  if (scope !== undefined) shared.scope = scope;
  return shared;
}
