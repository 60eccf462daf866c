// The rules the adapters (@tokenward/browser, @tokenward/node, @tokenward/core/axios) share with
// the core: private to tokenward, not part of its public API, and free to change with any release.
export { ACCESS_TOKEN_PATTERN, MAX_LIFETIME_MS, MAX_TOKEN_LENGTH, MIN_LIFETIME_MS, PEER_SKEW_MS, REASON_PATTERN, TOKEN_TYPE_PATTERN } from './rules/limits.js';
export { parseRetryAfter } from './rules/parse-retry-after.js';
export { isRecord } from './rules/is-record.js';
export { REQUEST_ERROR, wantsDpopNonce } from './rules/www-authenticate.js';
export { SESSION_ENDING_ERRORS, TRANSIENT_ERRORS, expiryReason } from './rules/session-ending-errors.js';
export { createOriginCheck } from './create-origin-check.js';
export { bearer, isOneShot } from './create-auth-fetch.js';
export { TOKEN_READERS, type TokenNow } from './token-now.js';
export { toTokenSet } from './to-token-set.js';
export { toSharedToken } from './to-shared-token.js';
export { readJwtTimes } from './read-jwt-times.js';
export { systemClock } from './system-clock.js';
