import type { GetTokenOptions, Session, TokenSet } from './types.js';

/** A token handed over at once, or the promise `getTokenSet` would have returned. */
export type TokenNow = TokenSet | Promise<TokenSet>;

// createSession's sessions, with getTokenSet's synchronous twin. Awaiting even a settled promise
// before `fetch` costs a request about 2 % of its loopback latency (bench 1), so the fetch wrapper
// takes a held token without one. Not a public method: any other Session takes the promise path.
const readers = new WeakMap<Session, (options?: GetTokenOptions) => TokenNow>();

/** Registers `session`'s synchronous reader (createSession does, for its own sessions). */
export function registerTokenNow(session: Session, read: (options?: GetTokenOptions) => TokenNow): void {
  readers.set(session, read);
}

/** The session's token without a promise when it holds a valid one, else `getTokenSet(options)`. */
export function tokenNow(session: Session, options?: GetTokenOptions): TokenNow {
  const read = readers.get(session);
  return read ? read(options) : session.getTokenSet(options);
}
