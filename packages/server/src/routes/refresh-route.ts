import { clearCookie, readCookie } from '../cookies.js';
import { provesKey } from '../decide-refresh.js';
import { dpopBinding } from '../dpop-binding.js';
import type { HandlerContext, RequestMeta, RouteHandler, SessionGrant } from '../handler-context.js';
import { error } from '../responses.js';
import { accessTokenFor, freshenUpstream } from '../freshen-upstream.js';
import { sessionResponse, tooManyRequests } from '../session-response.js';
import { verifyCsrf } from '../verify-csrf.js';

type Attempt = { grant: SessionGrant; response?: undefined } | { grant?: undefined; response: Response };

/**
 * `POST {base}/refresh`: rotation, grace and reuse revocation. Concurrent refreshes of one token
 * in this instance share the first one's answer (a burst of tabs costs one rotation and one
 * signature, and no rate-limit tokens); across instances the store's compare-and-swap decides.
 */
export const refreshRoute: RouteHandler = async (ctx, request, meta) => {
  const { cookies } = meta;
  if (!verifyCsrf(request, { cookie: cookies.csrf.name })) {
    ctx.options.onEvent({ type: 'csrf', path: meta.path });
    return error(403, 'csrf');
  }
  const presented = readCookie(request, cookies.refresh.name);
  if (presented === undefined) return invalidGrant(ctx, meta, 'missing');
  // A client gone before the rotation rotates nothing: the cookie other tabs hold stays current.
  if (request.signal.aborted) return error(499, 'client_closed_request');
  const { refused, jkt } = await dpopBinding(ctx, request, meta);
  if (refused) return refused;

  const leading = ctx.inflight.get(presented);
  if (leading) {
    const { grant } = await leading;
    // A bound family's answer only to a proof of its key: a copied cookie waits for nothing.
    if (grant && provesKey(grant.family, jkt)) {
      ctx.options.onEvent({ type: 'grace', sub: grant.family.sub, familyId: grant.family.id, coalesced: true });
      const expiresIn = Math.max(1, grant.access.exp - Math.floor(ctx.options.clock() / 1000));
      return sessionResponse(ctx, meta, { ...grant, access: { ...grant.access, expiresIn } });
    }
  }
  const attempt = attemptRefresh(ctx, meta, presented, jkt);
  // The first refresh of a token is the one later duplicates wait for, until it is answered.
  if (!leading) ctx.inflight.set(presented, attempt);
  try {
    const result = await attempt;
    return result.response ?? sessionResponse(ctx, meta, result.grant);
  } finally {
    if (!leading) ctx.inflight.delete(presented);
  }
};

async function attemptRefresh(ctx: HandlerContext, meta: RequestMeta, presented: string, jkt: string | undefined): Promise<Attempt> {
  const { options, limiters } = ctx;
  const retryAfter = (meta.address !== undefined && limiters.refresh?.take(meta.address)) || 0;
  if (retryAfter > 0) {
    options.onEvent({ type: 'rate_limited', route: 'refresh', scope: 'address' });
    return { response: tooManyRequests(retryAfter) };
  }
  // The provider first: a refusal there must not rotate here, and its new tokens ride the rotation.
  const upstream = await freshenUpstream(ctx, presented, jkt);
  if (upstream === 'ended') return { response: invalidGrant(ctx, meta, 'upstream') };
  if (upstream === 'unavailable') return { response: error(503, 'upstream_unavailable', { 'retry-after': '5' }) };
  const outcome = await ctx.families.refresh(presented, { admit: limiters.family && ((family) => limiters.family!.take(family.id)), jkt });
  switch (outcome.kind) {
    case 'rotated':
    case 'grace': {
      const { family, token } = outcome;
      const access = await accessTokenFor(ctx, family);
      if (outcome.kind === 'rotated') options.onEvent({ type: 'refresh', sub: family.sub, familyId: family.id });
      else options.onEvent({ type: 'grace', sub: family.sub, familyId: family.id, coalesced: false });
      return { grant: { family, refreshToken: token, access } };
    }
    case 'limited':
      options.onEvent({ type: 'rate_limited', route: 'refresh', scope: 'family' });
      return { response: tooManyRequests(outcome.retryAfter) };
    case 'reuse':
      options.logger.warn(`tokenward: a rotated refresh token came back after the grace window; family ${outcome.family.id} revoked`);
      options.onEvent({ type: 'reuse', sub: outcome.family.sub, familyId: outcome.family.id });
      return { response: invalidGrant(ctx, meta) };
    case 'invalid':
      return { response: invalidGrant(ctx, meta, outcome.reason) };
  }
}

/**
 * 401 invalid_grant, and the cookies it refused go: the client must sign in again. A request that
 * brought none clears none: the Set-Cookie could delete the cookie a sign-in in another tab has
 * just set while this (cookieless) boot refresh was in flight.
 */
function invalidGrant(ctx: HandlerContext, { cookies, secure }: RequestMeta, reason?: 'missing' | 'unknown' | 'expired' | 'unsealable' | 'upstream' | 'dpop_key'): Response {
  if (reason) ctx.options.onEvent({ type: 'invalid_grant', reason });
  if (reason === 'missing') return error(401, 'invalid_grant');
  const headers = new Headers();
  clearCookie(headers, cookies.refresh, secure);
  clearCookie(headers, cookies.session, secure);
  return error(401, 'invalid_grant', headers);
}
