import { InvalidJwtError } from './errors.js';
import { isRecord } from './rules/is-record.js';
import type { JwtClaims } from './types.js';

/** Longer strings are refused before any decoding work. */
export const MAX_JWT_LENGTH = 16 * 1024;

/**
 * Reads `exp` and `iat` (seconds) from a JWT without verifying it: the core never trusts claims for
 * security, it only needs to know when a token expires. A JWS in compact form (three segments) whose
 * payload is a base64url JSON object; anything else is `ERR_INVALID_JWT`, holding none of the input.
 * @example
 * const { exp } = readJwtTimes(accessToken);
 */
export function readJwtTimes(jwt: string): { exp: number | undefined; iat: number | undefined } {
  if (jwt.length > MAX_JWT_LENGTH) throw new InvalidJwtError('JWT is longer than 16 KiB');
  const claims = decodeJwtClaims(jwt);
  if (!claims) throw new InvalidJwtError('Not a decodable JWT');
  return { exp: finite(claims.exp), iat: finite(claims.iat) };
}

/**
 * The claims of a JWT, decoded and never verified: for reading its times, and for display
 * (`session.getClaims()`). Undefined for anything else, an opaque token or one over 16 KiB included.
 * @example
 * const { sub } = decodeJwtClaims(idToken) ?? {};
 */
export function decodeJwtClaims(jwt: string): JwtClaims | undefined {
  const segments = jwt.length > MAX_JWT_LENGTH ? [] : jwt.split('.');
  if (segments.length !== 3) return undefined;
  try {
    // base64url -> base64 -> bytes -> UTF-8 text -> JSON: all a decoder of claims needs (no library).
    const bytes = atob(segments[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0))));
    return isRecord(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
