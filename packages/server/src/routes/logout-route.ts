import { clearCookie, readCookie } from '../cookies.js';
import type { RouteHandler } from '../handler-context.js';
import { error } from '../responses.js';
import { verifyCsrf } from '../verify-csrf.js';

/** `POST {base}/logout`: revokes the presented family and clears the three cookies. */
export const logoutRoute: RouteHandler = async (ctx, request, { cookies, secure, path }) => {
  if (!verifyCsrf(request, { cookie: cookies.csrf.name })) {
    ctx.options.onEvent({ type: 'csrf', path });
    return error(403, 'csrf');
  }
  const presented = readCookie(request, cookies.refresh.name);
  const family = presented === undefined ? undefined : await ctx.families.find(presented);
  if (family) await ctx.store.revokeFamily(family.id);
  ctx.options.onEvent({ type: 'logout', familyId: family?.id });
  const headers = new Headers();
  for (const cookie of [cookies.refresh, cookies.access, cookies.csrf, cookies.session]) clearCookie(headers, cookie, secure);
  return new Response(null, { status: 204, headers });
};
