import { requireRoles, verifyCsrf, type AuthHandler, type TokenVerifier } from '@tokenward/server';
import type { ExtraRoute, ResolvedOptions } from './options.js';
import { error, json, noContent, readSmallJson } from './responses.js';
import type { StatsCounter } from './stats.js';

export interface DemoContext {
  options: ResolvedOptions;
  auth: AuthHandler;
  verify: TokenVerifier;
  stats: StatsCounter;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * What only the demo has, on top of the package's routes: the counters, the open "revoke on
 * server" button, and the demo API. State-changing ones need the CSRF header like the package's.
 */
export function demoRoutes(ctx: DemoContext): ExtraRoute[] {
  return [
    { method: 'POST', path: '/auth/revoke', handler: (request) => csrfGuarded(ctx, request, () => revoke(ctx, request)) },
    // Counters for tests and the demo dashboard; a real server would not publish them.
    { method: 'GET', path: '/auth/stats', handler: () => json(200, ctx.stats.snapshot()) },
    {
      method: 'POST',
      path: '/auth/stats/reset',
      handler: (request) =>
        csrfGuarded(ctx, request, async () => {
          ctx.stats.reset();
          return noContent();
        }),
    },
    { method: 'GET', path: '/api/me', handler: (request) => protect(ctx, request) },
    { method: 'GET', path: '/api/admin', handler: (request) => protect(ctx, request, 'admin') },
  ];
}

/**
 * State-changing /api requests need the CSRF header: in cookie mode the browser attaches the
 * access cookie by itself, so the cookie alone must never be enough to act.
 */
export async function apiCsrfGuard(ctx: DemoContext, request: Request): Promise<Response | undefined> {
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith('/api/') || SAFE_METHODS.has(request.method)) return undefined;
  return csrfGuarded(ctx, request, async () => undefined);
}

async function csrfGuarded<T>(ctx: DemoContext, request: Request, next: () => Promise<T>): Promise<T | Response> {
  if (verifyCsrf(request)) return next();
  ctx.stats.count('csrfRejections');
  return error(403, 'csrf');
}

/**
 * The demo's "revoke on server" button: ends every session of a user, as an administrator or a
 * password change would (`auth.revokeUser`). A real server MUST restrict this to administrators;
 * the demo leaves it open so the button works without a second account.
 */
async function revoke(ctx: DemoContext, request: Request): Promise<Response> {
  const body = await readSmallJson(request);
  if (body instanceof Response) return body;
  if (typeof body.username !== 'string' || body.username === '') return error(400, 'invalid_request');
  await ctx.auth.revokeUser(body.username);
  return noContent();
}

/** The demo API: who am I, and an admin-only resource (RBAC from the token's `role` claim). */
async function protect(ctx: DemoContext, request: Request, role?: string): Promise<Response> {
  ctx.stats.count('apiCalls');
  const result = await (role === undefined ? ctx.verify(request) : ctx.verify(request, requireRoles(role)));
  if (!result.ok) {
    if (result.response.status === 401) ctx.stats.count('apiUnauthorized');
    return result.response;
  }
  const { sub, role: granted, exp } = result.claims;
  return json(200, { sub, role: granted, exp });
}
