import { InvalidTokenResponseError } from './errors.js';
import { decodeJwtClaims } from './read-jwt-times.js';
import { ACCESS_TOKEN_PATTERN, MAX_LIFETIME_MS, MAX_TOKEN_LENGTH, MIN_LIFETIME_MS, TOKEN_TYPE_PATTERN } from './rules/limits.js';
import type { TokenResponse, TokenSet } from './types.js';

/**
 * Validates a token response and fixes its expiry on the local clock (docs/architecture.md, rule 5): `expiresAt`
 * as given, else `expires_in` counted from when the request was sent (`sentAt`, never later than the
 * server meant), else a JWT `exp` corrected by the server's clock (`iat` or the `Date` header).
 * Throws `ERR_INVALID_TOKEN_RESPONSE` for anything unusable; adapters use it to read responses as the
 * session will.
 * @example
 * const token = toTokenSet({ accessToken, expiresIn: 300 }, sentAt, 1); // token.expiresAt === sentAt + 300_000
 */
export function toTokenSet(response: TokenResponse, sentAt: number, id: number): TokenSet {
  if (typeof response !== 'object' || response === null) throw invalid('is not an object');
  // A programming error no retry fixes: the refresher handed over the server's body as it came.
  if (('access_token' in response || 'expires_in' in response) && response.accessToken === undefined && response.expiresIn === undefined) {
    throw new InvalidTokenResponseError('Refresher returned an OAuth body (access_token): return fromOAuthResponse(body)', { kind: 'terminal' });
  }
  const { accessToken, refreshToken, scope, tokenType } = response;
  if (!isTokenString(accessToken) || !isTokenString(refreshToken) || (accessToken !== undefined && !ACCESS_TOKEN_PATTERN.test(accessToken))) throw invalid('has a malformed token');
  if (tokenType != null && !(typeof tokenType === 'string' && TOKEN_TYPE_PATTERN.test(tokenType))) throw invalid('has a malformed token type');
  const expiresAt = expiryOf(response, sentAt) ?? NaN;
  if (!(expiresAt - sentAt >= MIN_LIFETIME_MS && expiresAt - sentAt <= MAX_LIFETIME_MS)) throw invalid('has no usable expiry');
  return {
    id,
    accessToken,
    tokenType: tokenType ?? 'Bearer',
    expiresAt,
    obtainedAt: sentAt,
    refreshToken,
    scope: typeof scope === 'string' ? scope : undefined,
  };
}

function expiryOf(response: TokenResponse, sentAt: number): number | undefined {
  if (isFiniteNumber(response.expiresAt)) return response.expiresAt;
  const expiresIn = typeof response.expiresIn === 'string' ? Number(response.expiresIn) : response.expiresIn;
  if (isFiniteNumber(expiresIn) && expiresIn > 0) return sentAt + expiresIn * 1000;
  if (typeof response.accessToken !== 'string') return undefined;
  const { exp, iat } = decodeJwtClaims(response.accessToken) ?? {};
  if (!isFiniteNumber(exp)) return undefined;
  // The server's own clock measures the lifetime; the local clock only anchors it at `sentAt`.
  if (isFiniteNumber(iat)) return sentAt + (exp - iat) * 1000;
  if (isFiniteNumber(response.serverDate)) return sentAt + exp * 1000 - response.serverDate - 1000;
  return exp * 1000;
}

/** Absent, or a non-empty string of sane length. */
function isTokenString(value: unknown): boolean {
  return value === undefined || (typeof value === 'string' && value !== '' && value.length <= MAX_TOKEN_LENGTH);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function invalid(what: string): InvalidTokenResponseError {
  return new InvalidTokenResponseError(`Token response ${what}`);
}
