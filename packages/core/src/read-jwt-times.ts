import { InvalidJwtError } from './errors.js';

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
  const segments = jwt.split('.');
  let claims: unknown;
  try {
    if (segments.length !== 3) throw 0;
    // base64url -> base64 -> bytes -> UTF-8 text -> JSON: all a decoder of claims needs (no library).
    const bytes = atob(segments[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0))));
  } catch {
    claims = undefined;
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new InvalidJwtError('Not a decodable JWT');
  const { exp, iat } = claims as Record<string, unknown>;
  return { exp: finite(exp), iat: finite(iat) };
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
