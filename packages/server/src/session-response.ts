import { setCookie } from './cookies.js';
import { randomToken } from './crypto.js';
import type { HandlerContext, RequestMeta, SessionGrant } from './handler-context.js';
import { error, json, jsonText } from './responses.js';

const COMPACT = /^[\w.-]*$/;

/**
 * The answer to a login, a refresh or a grace reuse: the refresh cookie, then the access token
 * either in the body (bearer mode: the SDK keeps it in memory only) or in an HttpOnly cookie
 * (cookie mode: no script ever sees it, the body carries only `expires_in`).
 */
export function sessionResponse(ctx: HandlerContext, meta: RequestMeta, grant: SessionGrant, { newCsrf = false } = {}): Response {
  const { cookies, secure } = meta;
  const expiresIn = grant.access.expiresIn;
  const cookieMode = grant.family.mode === 'cookie';
  const token = grant.access.token;
  const tokenType = grant.family.jkt === undefined ? 'Bearer' : 'DPoP';
  // The cookies go straight onto the Response's headers: no Headers object built and copied first.
  // A compact JWT (base64url and dots) needs no escaping: written into the body as it is, not
  // walked character by character by JSON.stringify.
  const response = cookieMode
    ? json(200, { token_type: 'cookie', expires_in: expiresIn })
    : COMPACT.test(token)
      ? jsonText(200, `{"access_token":"${token}","token_type":"${tokenType}","expires_in":${expiresIn}}`)
      : json(200, { access_token: token, token_type: tokenType, expires_in: expiresIn });
  const { headers } = response;
  setSessionCookies(ctx, meta, headers, grant, newCsrf);
  if (cookieMode) setCookie(headers, cookies.access, token, expiresIn, secure);
  return response;
}

/** The refresh cookie, and the CSRF cookie at sign-in: what a password login and an OpenID callback both set. */
export function setSessionCookies(ctx: HandlerContext, { cookies, secure }: RequestMeta, headers: Pick<Headers, 'append'>, grant: Pick<SessionGrant, 'family' | 'refreshToken'>, newCsrf: boolean): void {
  const now = ctx.options.clock();
  // Rounded up: the milliseconds spent since the rotation must not turn 3600 into 3599.
  const refreshAge = Math.ceil((grant.family.expiresAt - now) / 1000);
  setCookie(headers, cookies.refresh, grant.refreshToken, refreshAge, secure);
  // The hint lives exactly as long as the refresh cookie: its absence means no boot refresh can succeed.
  setCookie(headers, cookies.session, '1', refreshAge, secure);
  if (newCsrf) {
    // Set once per sign-in, not per refresh: rotating it would break requests already in flight.
    setCookie(headers, cookies.csrf, randomToken(), Math.ceil((grant.family.absoluteExpiresAt - now) / 1000), secure);
  }
}

export function tooManyRequests(retryAfterSeconds: number): Response {
  return error(429, 'rate_limited', { 'retry-after': String(retryAfterSeconds) });
}
