import fc from 'fast-check';
import { MEGABYTE } from './arbitraries.js';

const b64 = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');
const part = (value: unknown) => b64(JSON.stringify(value));

/** An unsigned JWT with these claims: the core reads times only, it never verifies. */
export function jwt(claims: unknown, header: unknown = { alg: 'none', typ: 'JWT' }, signature = ''): string {
  return `${part(header)}.${part(claims)}.${signature}`;
}

/** The claims as the token carries them: JSON has no -0, NaN or Infinity. */
const asSent = (claims: Record<string, unknown>) => JSON.parse(JSON.stringify(claims)) as Record<string, unknown>;

/** What a JWT's `exp` or `iat` might be: sane, far past, far future, not numeric. */
const time = (now: number) =>
  fc.oneof(
    fc.integer({ min: Math.floor(now / 1000) - 3600, max: Math.floor(now / 1000) + 86_400 }),
    fc.constantFrom(0, -1, 1, 1e10, 1e12, 1e300, 8.64e15, Number.MAX_SAFE_INTEGER, 1.5, '1700000000', null, true, [], {}),
    fc.double(),
  );

/** JWT-shaped strings and near misses, valid or hostile, with the claims that went in when known. */
export function jwtString(now: number): fc.Arbitrary<{ token: string; claims?: Record<string, unknown> }> {
  const claims = fc.record({ exp: time(now), iat: time(now), sub: fc.string({ maxLength: 10 }) }, { requiredKeys: [] });
  const header = fc.oneof(
    fc.constant({ alg: 'none' }),
    fc.constant({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }),
    fc.jsonValue({ maxDepth: 1 }),
  );
  return fc.oneof(
    fc.tuple(claims, header).map(([c, h]) => ({ token: jwt(c, h, b64('sig')), claims: asSent(c) })),
    fc.tuple(claims, header).map(([c, h]) => ({ token: jwt(c, h), claims: asSent(c) })),
    // Wrong segment counts.
    fc.array(fc.stringMatching(/^[\w-]{0,20}$/), { minLength: 0, maxLength: 6 }).map((parts) => ({ token: parts.join('.') })),
    // Bad base64url: padding, '+' and '/', spaces, non-ASCII.
    fc.tuple(claims, fc.constantFrom('=', '+', '/', ' ', 'é', '!', '==')).map(([c, bad]) => ({ token: `${part({ alg: 'none' })}.${part(c)}${bad}.` })),
    // Payloads that are not JSON, or JSON that is not an object.
    fc.oneof(fc.string(), fc.constantFrom('null', '[]', '42', '"exp"', '{"exp":')).map((payload) => ({ token: `${part({ alg: 'none' })}.${b64(payload)}.` })),
    // Huge: over the 16 KiB cap, and a megabyte.
    fc.constantFrom({ token: `${part({ alg: 'none' })}.${b64(MEGABYTE.slice(0, 20_000))}.` }, { token: `${MEGABYTE}.${MEGABYTE}.` }),
    fc.string().map((token) => ({ token })),
  );
}
