// The bounds every adapter applies to what comes from a server or another tab: one home, so the core,
// the browser and Node never disagree on what a usable token is.

/** The longest token string anything accepts. */
export const MAX_TOKEN_LENGTH = 64 * 1024;
/** Lifetimes outside these are nonsense: one under a second would drive a refresh loop, one over a year pins a token. */
export const MIN_LIFETIME_MS = 1000;
export const MAX_LIFETIME_MS = 366 * 24 * 3600 * 1000;
/** How far ahead of the local clock a peer's `obtainedAt` may be: the tabs of a browser share one clock. */
export const PEER_SKEW_MS = 2_000;
/** What can stand in an `Authorization` header unquoted: printable ASCII, no spaces (a CR, LF or NUL would split or break it), at most `MAX_TOKEN_LENGTH`. */
export const ACCESS_TOKEN_PATTERN = /^[\x21-\x7e]{1,65536}$/;
/** An RFC 9110 token: an auth scheme (`Bearer`, `DPoP`, `cookie`), the word before the credentials, or a header or cookie name (the CSRF ones). */
export const TOKEN_TYPE_PATTERN = /^[\w!#$%&'*+.^`|~-]{1,63}$/;
/** An OAuth error code or an expiry reason as events and messages carry it. */
export const REASON_PATTERN = /^[\w.:-]{1,64}$/;
