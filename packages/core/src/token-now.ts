import type { GetTokenOptions, Session, TokenSet } from './types.js';

/** A token handed over at once, or the promise `getTokenSet` would have returned. */
export type TokenNow = TokenSet | Promise<TokenSet>;

/**
 * createSession's sessions, each with `getTokenSet`'s synchronous twin. Awaiting even a settled
 * promise before `fetch` costs a loopback request more than 1 % of its latency; handing a held
 * token over without one took what the fetch wrapper adds beyond a one-line `async` wrapper from
 * 0.031 to 0.018 (docs/architecture.md). Not a public method: any other Session takes the promise.
 */
export const TOKEN_READERS = new WeakMap<Session, (options?: GetTokenOptions) => TokenNow>();
