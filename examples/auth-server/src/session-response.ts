import type { AuthContext } from './context.js';
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE, isSecure, setCookie } from './cookies.js';
import { randomToken } from './crypto.js';
import type { IssuedToken } from './refresh-store.js';
import { json } from './responses.js';

/**
 * The answer to a successful login or refresh: the refresh cookie, then the access token
 * either in the body (bearer mode: the SDK keeps it in memory only) or in an HttpOnly
 * cookie (cookie mode: no script ever sees it, the body carries only `expires_in`).
 */
export async function sessionResponse(
  ctx: AuthContext,
  request: Request,
  issued: IssuedToken,
  { newCsrf = false } = {},
): Promise<Response> {
  const { options, keys } = ctx;
  const secure = isSecure(request, options.secure);
  const headers = new Headers();
  // Rounded up: the milliseconds spent since issuing must not turn 3600 into 3599.
  const refreshMaxAge = Math.ceil((issued.expiresAt - options.clock()) / 1000);
  setCookie(headers, REFRESH_COOKIE, issued.token, refreshMaxAge, secure);
  if (newCsrf) {
    // Set once per sign-in, not per refresh: rotating it would break requests already in flight.
    setCookie(headers, CSRF_COOKIE, randomToken(), options.refreshTtlSeconds, secure);
  }
  const { token, expiresIn } = await keys.sign(issued.family.username, issued.family.role);
  if (issued.family.mode === 'cookie') {
    setCookie(headers, ACCESS_COOKIE, token, expiresIn, secure);
    return json(200, { token_type: 'cookie', expires_in: expiresIn }, headers);
  }
  return json(200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn }, headers);
}
