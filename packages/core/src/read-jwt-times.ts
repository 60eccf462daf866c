import { decodeJwt } from 'jose';
import { InvalidJwtError } from './errors.js';

/** Longer strings are refused before any decoding work. */
export const MAX_JWT_LENGTH = 16 * 1024;

/**
 * Reads `exp` and `iat` (seconds) from a JWT without verifying it: the core never trusts claims for
 * security, it only needs to know when a token expires.
 * @example
 * const { exp } = readJwtTimes(accessToken);
 */
export function readJwtTimes(jwt: string): { exp: number | undefined; iat: number | undefined } {
  if (jwt.length > MAX_JWT_LENGTH) throw new InvalidJwtError('JWT is longer than 16 KiB');
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(jwt);
  } catch {
    // jose's message is fine, but the cause is dropped so no part of the input travels with the error.
    throw new InvalidJwtError('Not a decodable JWT');
  }
  return { exp: finite(claims.exp), iat: finite(claims.iat) };
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
