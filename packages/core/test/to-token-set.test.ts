import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTokenwardError } from '../src/errors.js';
import { readJwtTimes } from '../src/read-jwt-times.js';
import { toTokenSet } from '../src/to-token-set.js';
import type { TokenResponse } from '../src/types.js';
import { fakeJwt } from './helpers/jwt.js';

const sentAt = 1_700_000_000_000;

describe('toTokenSet', () => {
  it('prefers expires_in, counted from when the request was sent', () => {
    const jwt = fakeJwt({ iat: 1, exp: 999_999_999_999 });
    expect(toTokenSet({ accessToken: jwt, expiresIn: 120 }, sentAt, 1).expiresAt).toBe(sentAt + 120_000);
  });

  it('uses the JWT lifetime (exp - iat) when expires_in is absent, whatever the local clock says', () => {
    const jwt = fakeJwt({ iat: 10, exp: 70 });
    expect(toTokenSet({ accessToken: jwt }, sentAt, 1).expiresAt).toBe(sentAt + 60_000);
  });

  it('corrects a JWT exp without iat by the server Date header', () => {
    const serverNow = sentAt + 3_600_000; // the server clock is an hour ahead
    const jwt = fakeJwt({ exp: (serverNow + 60_000) / 1000 });
    expect(toTokenSet({ accessToken: jwt, serverDate: serverNow }, sentAt, 1).expiresAt).toBe(sentAt + 59_000);
  });

  it.each<[string, unknown]>([
    ['no expiry at all', { accessToken: 'opaque' }],
    ['a negative expires_in', { accessToken: 'opaque', expiresIn: -1 }],
    ['a non-numeric expires_in', { accessToken: 'opaque', expiresIn: 'soon' }],
    ['an absurd expires_in', { accessToken: 'opaque', expiresIn: 1e300 }],
    ['an access token of the wrong type', { accessToken: 42, expiresIn: 60 }],
    ['an empty access token', { accessToken: '', expiresIn: 60 }],
    ['a JWT already expired', { accessToken: fakeJwt({ iat: 100, exp: 50 }) }],
    ['a non-numeric JWT exp', { accessToken: fakeJwt({ exp: 'tomorrow' }) }],
    ['an access token with CR LF (a header injection)', { accessToken: 'abc\r\nX-Evil: 1', expiresIn: 60 }],
    ['an access token with a NUL', { accessToken: 'abc\u0000def', expiresIn: 60 }],
    ['an access token with a space', { accessToken: 'abc def', expiresIn: 60 }],
    ['an access token with non-ASCII', { accessToken: 'abcé', expiresIn: 60 }],
    ['a token type with a space', { accessToken: 'opaque', tokenType: 'Bearer x', expiresIn: 60 }],
    ['a token type with CR LF', { accessToken: 'opaque', tokenType: 'Bearer\r\nX-Evil: 1', expiresIn: 60 }],
    ['an empty token type', { accessToken: 'opaque', tokenType: '', expiresIn: 60 }],
    ['not an object', 'access_token=abc'],
    ['null', null],
  ])('refuses %s with ERR_INVALID_TOKEN_RESPONSE', (_name, input) => {
    expect(() => toTokenSet(input as TokenResponse, sentAt, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TOKEN_RESPONSE' }));
  });

  it('refuses a token that cannot go in a header without quoting any of it', () => {
    const secret = 'SECRET-4b1d\r\nX-Evil: 1';
    const error = (() => {
      try {
        toTokenSet({ accessToken: secret, expiresIn: 60 }, sentAt, 1);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toMatchObject({ code: 'ERR_INVALID_TOKEN_RESPONSE' });
    expect(`${error?.message} ${error?.stack} ${JSON.stringify(error)}`).not.toContain('SECRET-4b1d');
  });

  it('accepts every printable ASCII access token and token68-style token types', () => {
    const printable = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');
    expect(toTokenSet({ accessToken: printable, tokenType: 'DPoP', expiresIn: 60 }, sentAt, 1)).toMatchObject({ accessToken: printable, tokenType: 'DPoP' });
    expect(toTokenSet({ accessToken: 'a', tokenType: "N_A.m-e!#$%&'*+^`|~", expiresIn: 60 }, sentAt, 1).tokenType).toBe("N_A.m-e!#$%&'*+^`|~");
  });

  it('accepts a fractional expires_in and a numeric string', () => {
    expect(toTokenSet({ accessToken: 'a', expiresIn: 1.5 }, sentAt, 1).expiresAt).toBe(sentAt + 1500);
    expect(toTokenSet({ accessToken: 'a', expiresIn: '60' as unknown as number }, sentAt, 1).expiresAt).toBe(sentAt + 60_000);
  });

  it('ends any input in a token set or a typed error that names no token', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), (input, secret) => {
        try {
          toTokenSet(input as TokenResponse, sentAt, 1);
        } catch (error) {
          expect(isTokenwardError(error)).toBe(true);
          if (secret.length > 8) expect((error as Error).message).not.toContain(secret);
        }
      }),
    );
  });
});

describe('readJwtTimes', () => {
  it('reads exp and iat, and trusts nothing else (alg none is just data)', () => {
    expect(readJwtTimes(fakeJwt({ iat: 1, exp: 2, admin: true }, { alg: 'none' }))).toEqual({ iat: 1, exp: 2 });
  });

  it.each([
    ['two segments', 'a.b'],
    ['bad base64url', 'a.%%%.c'],
    ['a non-JSON payload', `${Buffer.from('{}').toString('base64url')}.${Buffer.from('nope').toString('base64url')}.`],
    ['over 16 KiB', fakeJwt({ pad: 'x'.repeat(17_000) })],
  ])('refuses %s with ERR_INVALID_JWT', (_name, jwt) => {
    expect(() => readJwtTimes(jwt)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_JWT' }));
  });
});
