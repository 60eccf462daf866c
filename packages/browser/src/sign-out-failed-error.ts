import { TokenwardError, type SignOutFailure } from '@tokenward/core';

/**
 * The server did not confirm a sign-out (`ERR_SIGN_OUT_FAILED`); the session is signed out in
 * every tab all the same. `status` is the HTTP status, when there was an answer.
 * @example
 * await session.signOut().catch((e) => { if (isTokenwardError(e) && e.code === 'ERR_SIGN_OUT_FAILED') retryLater(); });
 */
export class SignOutFailedError extends TokenwardError<'ERR_SIGN_OUT_FAILED'> implements SignOutFailure {
  declare readonly status?: number;

  constructor(status?: number, options?: { cause?: unknown }) {
    super('ERR_SIGN_OUT_FAILED', status ? `Sign-out answered HTTP ${status}` : 'Sign-out failed', options);
    if (status) Object.assign(this, { status });
  }
}
