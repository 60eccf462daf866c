import { flowCookie, setCookie } from '../cookies.js';
import type { RouteHandler } from '../handler-context.js';
import { error } from '../responses.js';
import { safeReturnTo } from '../safe-return-to.js';
import { tooManyRequests } from '../session-response.js';

/** How long a sign-in at the provider may take, and so how long its cookie lives. */
export const FLOW_TTL_SECONDS = 600;

/**
 * `GET {base}/login[?returnTo=/path][&mode=cookie]` with an upstream: redirects to the provider.
 * The flow (state, nonce, PKCE verifier) and where to return go in a sealed, HttpOnly, short-lived
 * cookie of its own (`flowCookie`) that only the callback's path receives; of the verifier the URL
 * carries only its hash.
 */
export const oidcLoginRoute: RouteHandler = async (ctx, request, meta) => {
  const { options, limiters, upstream } = ctx;
  const retryAfter = (meta.address !== undefined && limiters.login?.take(meta.address)) || 0;
  if (retryAfter > 0) {
    options.onEvent({ type: 'rate_limited', route: 'login', scope: 'address' });
    return tooManyRequests(retryAfter);
  }
  const url = new URL(request.url);
  const mode = url.searchParams.get('mode') ?? 'bearer';
  if (mode !== 'bearer' && mode !== 'cookie') return error(400, 'invalid_request');
  let begun;
  try {
    begun = await upstream!.begin();
  } catch (cause) {
    options.logger.error('tokenward: the OpenID provider could not be reached', cause);
    return error(502, 'upstream_unavailable');
  }
  const returnTo = safeReturnTo(url.searchParams.get('returnTo'), url.origin);
  const sealed = await upstream!.box.seal('flow', { ...begun.flow, returnTo, mode }, FLOW_TTL_SECONDS);
  const headers = new Headers({ location: begun.url.href });
  setCookie(headers, flowCookie(meta.cookies.flow, begun.flow.state)!, sealed, FLOW_TTL_SECONDS, meta.secure);
  return new Response(null, { status: 302, headers });
};
