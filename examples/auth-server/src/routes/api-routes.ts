import type { AuthContext, Route } from '../context.js';
import { ACCESS_COOKIE, readCookie } from '../cookies.js';
import { hasValidCsrf } from '../csrf.js';
import type { AccessClaims } from '../key-ring.js';
import { error, json } from '../responses.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The demo API: who am I, and an admin-only resource (RBAC from the token's `role` claim). */
export function apiRoutes(ctx: AuthContext): Route[] {
  return [
    { method: 'GET', path: '/api/me', handler: (request) => protect(ctx, request) },
    { method: 'GET', path: '/api/admin', handler: (request) => protect(ctx, request, 'admin') },
  ];
}

/**
 * State-changing /api requests need the CSRF header: in cookie mode the browser attaches
 * the access cookie by itself, so the cookie alone must never be enough to act.
 */
export async function apiCsrfGuard(ctx: AuthContext, request: Request): Promise<Response | undefined> {
  const { pathname } = new URL(request.url);
  if (!pathname.startsWith('/api/') || SAFE_METHODS.has(request.method)) return undefined;
  if (await hasValidCsrf(request)) return undefined;
  ctx.stats.count('csrfRejections');
  return error(403, 'csrf');
}

/** The access token from `Authorization: Bearer` (bearer mode) or the HttpOnly cookie (cookie mode). */
export async function authenticate(ctx: AuthContext, request: Request): Promise<AccessClaims | undefined> {
  const authorization = request.headers.get('authorization');
  const token = authorization
    ? /^Bearer +([\w.~+/-]+=*)$/i.exec(authorization)?.[1]
    : readCookie(request, ACCESS_COOKIE);
  if (!token) return undefined;
  try {
    return await ctx.keys.verify(token);
  } catch {
    // Which check failed is the server's business; the client only needs "get a new token".
    return undefined;
  }
}

async function protect(ctx: AuthContext, request: Request, role?: string): Promise<Response> {
  ctx.stats.count('apiCalls');
  const claims = await authenticate(ctx, request);
  if (!claims) {
    ctx.stats.count('apiUnauthorized');
    return error(401, 'invalid_token', { 'www-authenticate': 'Bearer error="invalid_token"' });
  }
  if (role !== undefined && claims.role !== role) return error(403, 'insufficient_role');
  return json(200, { sub: claims.sub, role: claims.role, exp: claims.exp });
}
