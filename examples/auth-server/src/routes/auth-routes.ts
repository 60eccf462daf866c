import type { AuthContext, Route } from '../context.js';
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE, clearCookie, isSecure, readCookie } from '../cookies.js';
import { secretsEqual } from '../crypto.js';
import { hasValidCsrf } from '../csrf.js';
import type { AuthUser } from '../options.js';
import { error, json, noContent, readJsonObject, stringField } from '../responses.js';
import { sessionResponse } from '../session-response.js';
import { refreshRoute } from './refresh-route.js';

/** Sign-in, refresh, sign-out, revocation and the test counters: everything under /auth. */
export function authRoutes(ctx: AuthContext): Route[] {
  return [
    { method: 'POST', path: '/auth/login', handler: (request) => login(ctx, request) },
    refreshRoute(ctx),
    { method: 'POST', path: '/auth/logout', handler: (request) => logout(ctx, request) },
    { method: 'POST', path: '/auth/revoke', handler: (request) => revoke(ctx, request) },
    // Counters for tests and the demo dashboard; a real server would not publish them.
    { method: 'GET', path: '/auth/stats', handler: () => json(200, ctx.stats.snapshot()) },
    {
      method: 'POST',
      path: '/auth/stats/reset',
      handler: () => {
        ctx.stats.reset();
        return noContent();
      },
    },
  ];
}

async function login(ctx: AuthContext, request: Request): Promise<Response> {
  const body = await readJsonObject(request);
  if (body instanceof Response) return body;
  const mode = body.mode ?? 'bearer';
  if (mode !== 'bearer' && mode !== 'cookie') return error(400, 'invalid_request');
  const user = await findUser(ctx.options.users, stringField(body, 'username'), stringField(body, 'password'));
  if (!user) return error(401, 'invalid_credentials');
  ctx.stats.count('logins');
  const issued = await ctx.store.create(user.username, user.role, mode);
  return sessionResponse(ctx, request, issued, { newCsrf: true });
}

/** Checks every account with a constant-time compare, so timing reveals neither names nor passwords. */
async function findUser(
  users: readonly AuthUser[],
  username: string | undefined,
  password: string | undefined,
): Promise<AuthUser | undefined> {
  if (username === undefined || password === undefined) return undefined;
  let found: AuthUser | undefined;
  for (const user of users) {
    const [name, secret] = await Promise.all([
      secretsEqual(user.username, username),
      secretsEqual(user.password, password),
    ]);
    if (name && secret) found ??= user;
  }
  return found;
}

async function logout(ctx: AuthContext, request: Request): Promise<Response> {
  if (!(await hasValidCsrf(request))) {
    ctx.stats.count('csrfRejections');
    return error(403, 'csrf');
  }
  const presented = readCookie(request, REFRESH_COOKIE);
  const family = presented === undefined ? undefined : await ctx.store.familyOf(presented);
  if (family) ctx.store.revokeFamily(family.id);
  ctx.stats.count('logouts');
  const secure = isSecure(request, ctx.options.secure);
  const headers = new Headers();
  for (const cookie of [REFRESH_COOKIE, ACCESS_COOKIE, CSRF_COOKIE]) clearCookie(headers, cookie, secure);
  return noContent(headers);
}

/**
 * The demo's "revoke on server" button: ends every session of a user, as an administrator
 * or a password change would. A real server MUST restrict this to administrators; the demo
 * leaves it open so the button works without a second account.
 */
async function revoke(ctx: AuthContext, request: Request): Promise<Response> {
  const body = await readJsonObject(request);
  if (body instanceof Response) return body;
  const username = stringField(body, 'username');
  if (!username) return error(400, 'invalid_request');
  ctx.store.revokeUser(username);
  return noContent();
}
