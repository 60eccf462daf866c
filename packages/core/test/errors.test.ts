import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  AbortedError,
  ConfigError,
  DisposedError,
  InvalidJwtError,
  InvalidTokenResponseError,
  NotSignedInError,
  RefreshFailedError,
  SessionExpiredError,
  TokenwardError,
  isTokenwardError,
  type TokenwardErrors,
} from '../src/errors.js';

describe('errors', () => {
  it('carry a code, a message and a cause', () => {
    const cause = new Error('network');
    const error = new SessionExpiredError({ cause });
    expect(error).toMatchObject({ code: 'ERR_SESSION_EXPIRED', message: 'Session expired', name: 'SessionExpiredError', cause });
    expect(error).toBeInstanceOf(TokenwardError);
  });

  it('are recognised across copies of the package by a registered symbol', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('tokenward.error')]: true, code: 'ERR_CONFIG' });
    expect(isTokenwardError(foreign)).toBe(true);
    expect(isTokenwardError(new Error('x'))).toBe(false);
    expect(isTokenwardError(null)).toBe(false);
    expect(isTokenwardError(new RefreshFailedError('x', { status: 503 }))).toBe(true);
  });
});

describe('error codes', () => {
  it('narrow on `code` alone, without instanceof', () => {
    const error: unknown = new RefreshFailedError('x', { status: 503 });
    if (isTokenwardError(error) && error.code === 'ERR_REFRESH_FAILED') {
      // A type error here (status missing on the narrowed type) fails `npm run typecheck`.
      const status: number | undefined = error.status;
      expect(status).toBe(503);
    } else {
      expect.unreachable('not narrowed');
    }
    expectTypeOf<Extract<TokenwardErrors, { code: 'ERR_REFRESH_FAILED' }>>().toEqualTypeOf<RefreshFailedError>();
    expectTypeOf<NotSignedInError['code']>().toEqualTypeOf<'ERR_NOT_SIGNED_IN'>();
  });

  it('has one class per code, each carrying its literal code', () => {
    const all = [new NotSignedInError(), new SessionExpiredError(), new RefreshFailedError('x'), new InvalidTokenResponseError('x'), new InvalidJwtError('x'), new AbortedError(), new ConfigError('x'), new DisposedError()];
    expect(all.map((e) => e.code)).toEqual(['ERR_NOT_SIGNED_IN', 'ERR_SESSION_EXPIRED', 'ERR_REFRESH_FAILED', 'ERR_INVALID_TOKEN_RESPONSE', 'ERR_INVALID_JWT', 'ERR_ABORTED', 'ERR_CONFIG', 'ERR_DISPOSED']);
  });
});
