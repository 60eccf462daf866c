import { describe, expect, it } from 'vitest';
import { RefreshFailedError, SessionExpiredError, TokenwardError, isTokenwardError } from '../src/errors.js';

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
