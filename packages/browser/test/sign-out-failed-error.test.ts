import { describe, expect, it } from 'vitest';
import { isTokenwardError } from '@tokenward/core';
import { SignOutFailedError } from '../src/sign-out-failed-error.js';

describe('SignOutFailedError', () => {
  it('carries its literal code and the status, and narrows on code alone', () => {
    const error: unknown = new SignOutFailedError(503);
    expect(error).toMatchObject({ code: 'ERR_SIGN_OUT_FAILED', name: 'SignOutFailedError', status: 503, message: 'Sign-out answered HTTP 503' });
    if (isTokenwardError(error) && error.code === 'ERR_SIGN_OUT_FAILED') expect(error.status).toBe(503);
    else expect.unreachable('not narrowed');
    expect(new SignOutFailedError()).toMatchObject({ message: 'Sign-out failed' });
    expect(new SignOutFailedError().status).toBeUndefined();
  });
});
