import type { AuthContext, Route } from '../context.js';
import { REFRESH_COOKIE, clearCookie, isSecure, readCookie } from '../cookies.js';
import { hasValidCsrf } from '../csrf.js';
import type { RefreshOutcome } from '../refresh-store.js';
import { error } from '../responses.js';
import { sessionResponse } from '../session-response.js';

/** `POST /auth/refresh`: rotation, the grace window and reuse detection. */
export function refreshRoute(ctx: AuthContext): Route {
  return {
    method: 'POST',
    path: '/auth/refresh',
    handler: async (request) => {
      ctx.stats.count('refreshRequests');
      const response = (await ctx.options.faults?.(request)) ?? (await refresh(ctx, request));
      ctx.stats.count(response.ok ? 'refreshSuccesses' : 'refreshFailures');
      return response;
    },
  };
}

async function refresh(ctx: AuthContext, request: Request): Promise<Response> {
  if (!(await hasValidCsrf(request))) {
    ctx.stats.count('csrfRejections');
    return error(403, 'csrf');
  }
  // A slow server: the delay comes before the rotation, and a client that has gone away by then
  // (a tab closed mid-refresh) rotates nothing, so its refresh cookie stays the current one.
  const delay = ctx.options.refreshDelayMs();
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  if (request.signal.aborted) return error(499, 'client_closed_request');
  const presented = readCookie(request, REFRESH_COOKIE);
  const outcome: RefreshOutcome = presented ? await ctx.store.refresh(presented) : { kind: 'invalid' };
  return answer(ctx, request, outcome);
}

async function answer(ctx: AuthContext, request: Request, outcome: RefreshOutcome): Promise<Response> {
  switch (outcome.kind) {
    case 'rotated':
      return sessionResponse(ctx, request, outcome);
    case 'grace':
      // A tab that missed the cross-tab message costs one extra request, not a sign-out.
      ctx.stats.count('graceReuses');
      return sessionResponse(ctx, request, outcome);
    case 'reuse':
      ctx.stats.count('reuseDetections');
      return invalidGrant(ctx, request);
    case 'invalid':
      return invalidGrant(ctx, request);
  }
}

function invalidGrant(ctx: AuthContext, request: Request): Response {
  const headers = new Headers();
  clearCookie(headers, REFRESH_COOKIE, isSecure(request, ctx.options.secure));
  return error(401, 'invalid_grant', headers);
}
