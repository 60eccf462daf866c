import type { TokenSet } from '../../src/types.js';

/** A token set as the runtime would build it: obtained at `obtainedAt`, living `lifetimeMs`. */
export function tokenSet(id: number, obtainedAt: number, lifetimeMs: number, accessToken = `at-${id}`): TokenSet {
  return { id, accessToken, tokenType: 'Bearer', obtainedAt, expiresAt: obtainedAt + lifetimeMs };
}
