import { InvalidTokenResponseError, RefreshFailedError, type TokenResponse } from '@tokenward/core';
import { REASON_PATTERN, isRecord, parseRetryAfter, toTokenSet } from '@tokenward/core/internal';

/** Where the access token lives. */
export type TokenMode = 'bearer' | 'cookie';

/**
 * Reads the answer of a refresh (or sign-in) request. 2xx: a strictly validated token response
 * (bearer mode: `access_token`; cookie mode: the access token stays in its HttpOnly cookie, only
 * `expires_in` is read). Anything else throws a `RefreshFailedError` with `status`, the OAuth
 * `error` code and `Retry-After`; bodies that are not JSON (an HTML error page) are transient
 * failures. No message ever contains any of the body.
 * @example
 * const response = await fetch('/auth/login', { method: 'POST', body, headers });
 * session.signIn(await readTokenResponse(response, 'bearer'));
 */
export async function readTokenResponse(response: Response, mode: TokenMode = 'bearer'): Promise<TokenResponse> {
  const { status, headers } = response;
  const body = await response.json().then((value: unknown) => (isRecord(value) ? value : undefined), () => undefined);
  if (!response.ok) {
    const oauthError = typeof body?.error === 'string' && REASON_PATTERN.test(body.error) ? body.error : undefined;
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'), headers.get('date'), Date.now());
    throw new RefreshFailedError(`Refresh answered HTTP ${status}`, { status, oauthError, retryAfterMs });
  }
  if (!body) throw new RefreshFailedError(`Refresh answered HTTP ${status} without a JSON object`, { status, kind: 'transient' });
  const { access_token: accessToken, token_type: tokenType, expires_in: lifetime, scope } = body;
  const expiresIn = typeof lifetime === 'number' || typeof lifetime === 'string' ? Number(lifetime) : NaN;
  if (!(expiresIn > 0)) throw invalid('expires_in');
  if (mode === 'bearer' && typeof accessToken !== 'string') throw invalid('access_token');
  // Cookie mode never keeps an access token in script memory, even one a server sent by mistake.
  const result: TokenResponse = { expiresIn, tokenType: (tokenType ?? undefined) as string | undefined, scope: typeof scope === 'string' ? scope : undefined, accessToken: mode === 'cookie' ? undefined : (accessToken as string) };
  // The token and type patterns and the lifetime bound are the core's, checked here as the session will.
  toTokenSet(result, Date.now(), 0);
  return result;
}

function invalid(field: string): InvalidTokenResponseError {
  return new InvalidTokenResponseError(`Refresh response has no usable ${field}`);
}
