import { describe, expect, it } from 'vitest';
import { classifyError } from '../src/classify-error.js';
import { RefreshFailedError } from '../src/errors.js';
import { SESSION_ENDING_ERRORS, expiryReason, parseRetryAfter } from '../src/internal.js';

describe('shared rules', () => {
  it.each([
    ['120', null, 120_000],
    [' 7 ', null, 7_000],
    ['Wed, 21 Oct 2026 07:28:30 GMT', 'Wed, 21 Oct 2026 07:28:00 GMT', 30_000],
    ['Wed, 21 Oct 2026 07:28:00 GMT', 'Wed, 21 Oct 2026 07:29:00 GMT', 0],
    ['soon', null, undefined],
    ['-5', null, undefined],
    ['', null, undefined],
  ])('reads Retry-After %j (Date %j) as %j ms', (value, date, expected) => {
    expect(parseRetryAfter(value, date, Date.parse('Wed, 21 Oct 2026 00:00:00 GMT'))).toBe(expected);
  });

  it('ends the session on each of the eight OAuth errors no retry can fix, in the core classification', () => {
    expect(SESSION_ENDING_ERRORS.size).toBe(8);
    for (const oauthError of SESSION_ENDING_ERRORS) expect(classifyError(new RefreshFailedError('x', { status: 400, oauthError }))).toBe('terminal');
    expect(classifyError(new RefreshFailedError('x', { status: 400, oauthError: 'temporarily_unavailable' }))).toBe('transient');
  });

  it('names the reason a session expired: OAuth error, else HTTP status, else refused', () => {
    expect([expiryReason({ oauthError: 'invalid_grant', status: 400 }), expiryReason({ status: 401 }), expiryReason(undefined)]).toEqual(['invalid_grant', 'http_401', 'refused']);
  });
});
