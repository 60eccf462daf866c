import { clearCookie, flowCookie, readCookie } from '../cookies.js';
import type { RouteHandler } from '../handler-context.js';
import { error } from '../responses.js';
import { setSessionCookies } from '../session-response.js';

/**
 * `GET {base}/callback`: the provider's redirect. The flow cookie named by the `state` parameter
 * must open and its `state` match (else nothing is sent to the provider); the code is exchanged
 * with the PKCE verifier, the ID token validated with the nonce; then the same cookies and
 * refresh-token family as a password login, and a redirect to the `returnTo` checked at `/login`.
 * That flow's cookie goes in every case: one use.
 */
export const oidcCallbackRoute: RouteHandler = async (ctx, request, meta) => {
  const { options, upstream, families } = ctx;
  const headers = new Headers();
  const url = new URL(request.url);
  const cookie = flowCookie(meta.cookies.flow, url.searchParams.get('state'));
  if (cookie) clearCookie(headers, cookie, meta.secure);
  const refuse = (reason: 'invalid_state' | 'access_denied' | 'invalid_grant' | 'invalid_id_token' | 'upstream_error') => {
    options.onEvent({ type: 'login_failed', reason });
    return error(reason === 'upstream_error' ? 502 : 400, reason, headers);
  };
  const presented = cookie && readCookie(request, cookie.name);
  const flow = presented === undefined ? undefined : await upstream!.box.open('flow', presented);
  if (!flow || typeof flow.state !== 'string' || typeof flow.nonce !== 'string' || typeof flow.verifier !== 'string') return refuse('invalid_state');
  let result;
  try {
    result = await upstream!.finish(url, { state: flow.state, nonce: flow.nonce, verifier: flow.verifier }, options.clock());
  } catch (cause) {
    options.logger.error('tokenward: the OpenID provider could not complete the sign-in', cause);
    return refuse('upstream_error');
  }
  if (!result.ok) return refuse(result.error);
  const { login } = result;
  const mode = flow.mode === 'cookie' ? 'cookie' : 'bearer';
  const sealedTokens = await upstream!.box.seal('tokens', { ...login.tokens }, options.absoluteTtlSeconds);
  const issued = await families.create(login.sub, options.upstreamClaims(login.idTokenClaims), mode, sealedTokens);
  options.onEvent({ type: 'login', sub: login.sub, familyId: issued.family.id, mode });
  setSessionCookies(ctx, meta, headers, { family: issued.family, refreshToken: issued.token }, true);
  headers.set('location', typeof flow.returnTo === 'string' ? flow.returnTo : '/');
  return new Response(null, { status: 303, headers });
};
