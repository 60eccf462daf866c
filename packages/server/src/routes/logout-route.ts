import { clearCookie, readCookie } from '../cookies.js';
import type { UpstreamTokens } from '../create-oidc-upstream.js';
import type { HandlerContext, RouteHandler } from '../handler-context.js';
import type { FamilyRecord } from '../refresh-store.js';
import { error, json } from '../responses.js';
import { verifyCsrf } from '../verify-csrf.js';

/**
 * `POST {base}/logout`: revokes the presented family and clears the three cookies. With an
 * upstream it also revokes the provider's refresh token (where the provider supports revocation)
 * and answers `200 { end_session_url }` when the provider offers RP-initiated logout.
 */
export const logoutRoute: RouteHandler = async (ctx, request, { cookies, secure, path }) => {
  if (!verifyCsrf(request, { cookie: cookies.csrf.name })) {
    ctx.options.onEvent({ type: 'csrf', path });
    return error(403, 'csrf');
  }
  const presented = readCookie(request, cookies.refresh.name);
  const family = presented === undefined ? undefined : await ctx.families.find(presented);
  if (family) await ctx.store.revokeFamily(family.id);
  const upstreamRevoked = family?.upstream === undefined ? undefined : await revokeUpstream(ctx, family);
  ctx.options.onEvent({ type: 'logout', familyId: family?.id, ...(upstreamRevoked === undefined ? {} : { upstreamRevoked }) });
  const headers = new Headers();
  for (const cookie of [cookies.refresh, cookies.access, cookies.csrf, cookies.session]) clearCookie(headers, cookie, secure);
  const endSession = ctx.upstream && (await ctx.upstream.endSessionUrl().catch(() => undefined));
  return endSession ? json(200, { end_session_url: endSession }, headers) : new Response(null, { status: 204, headers });
};

/** The local session is gone whatever the provider says: a failed revocation is logged, not answered. */
async function revokeUpstream(ctx: HandlerContext, family: FamilyRecord): Promise<boolean> {
  const tokens = ctx.upstream && (await ctx.upstream.box.open('tokens', family.upstream!));
  if (!tokens) return false;
  try {
    return await ctx.upstream!.revoke(tokens as unknown as UpstreamTokens);
  } catch (cause) {
    ctx.options.logger.error(`tokenward: revoking family ${family.id}'s provider token failed`, cause);
    return false;
  }
}
