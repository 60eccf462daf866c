import type { JSONWebKeySet } from 'jose';
import type { AuthContext } from './context.js';
import { createKeyRing } from './key-ring.js';
import { resolveOptions, type AuthServerOptions } from './options.js';
import { RefreshStore } from './refresh-store.js';
import { error } from './responses.js';
import { createRouter } from './router.js';
import { apiCsrfGuard, apiRoutes } from './routes/api-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { createStaticFiles } from './static-files.js';
import { createStats, type AuthServerStats } from './stats.js';

export interface AuthServer {
  /** Answers one request. Never throws: an unexpected failure becomes a 500. */
  handle(request: Request): Promise<Response>;
  stats(): AuthServerStats;
  resetStats(): void;
  /** Revokes every refresh-token family of the user: their next refresh gets 401 invalid_grant. */
  revokeUser(username: string): void;
  /** The public keys: the current signing key and the previous one. */
  jwks(): Promise<JSONWebKeySet>;
  readonly issuer: string;
  readonly audience: string;
  /** Stops the key-rotation timer. Does not close a listener: see `listen().close()`. */
  close(): void;
}

/**
 * The reference server of tokenward's cookie contract, as a Web-standard handler.
 *
 * @example
 * ```ts
 * const server = createAuthServer({ accessTtlSeconds: 5, graceMs: 0 });
 * const { url, close } = await listen(server, { port: 0 });
 * const response = await fetch(`${url}/auth/login`, {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ username: 'demo', password: 'demo' }),
 * });
 * await close();
 * server.close();
 * ```
 */
export function createAuthServer(options?: AuthServerOptions): AuthServer {
  const resolved = resolveOptions(options);
  const { clock } = resolved;
  const ctx: AuthContext = {
    options: resolved,
    keys: createKeyRing({ ...resolved }),
    store: new RefreshStore({
      refreshTtlMs: resolved.refreshTtlSeconds * 1000,
      graceMs: resolved.graceMs,
      clock,
    }),
    stats: createStats(),
  };
  const staticFiles = resolved.staticDir === undefined ? undefined : createStaticFiles(resolved.staticDir);
  const jwksRoute = {
    method: 'GET',
    path: '/.well-known/jwks.json',
    handler: async () => Response.json(await ctx.keys.jwks(), { headers: { 'cache-control': 'no-cache' } }),
  };
  const route = createRouter(
    [...resolved.extraRoutes, ...authRoutes(ctx), ...apiRoutes(ctx), jwksRoute],
    async (request) => (await staticFiles?.(request)) ?? error(404, 'not_found'),
  );

  async function handle(request: Request): Promise<Response> {
    let response: Response;
    try {
      response = (await apiCsrfGuard(ctx, request)) ?? (await route(request));
    } catch (cause) {
      // Only the error: requests carry tokens and cookies, and they are never logged.
      console.error('auth-server: a handler failed', cause);
      response = error(500, 'server_error');
    }
    const { pathname } = new URL(request.url);
    if (pathname.startsWith('/auth/') || pathname.startsWith('/api/')) {
      // Token-bearing answers must not sit in any cache. Copied: a fault hook may return an immutable Response.
      response = new Response(response.body, response);
      response.headers.set('cache-control', 'no-store');
    }
    return response;
  }

  return {
    handle,
    stats: () => ctx.stats.snapshot(),
    resetStats: () => ctx.stats.reset(),
    revokeUser: (username) => ctx.store.revokeUser(username),
    jwks: () => ctx.keys.jwks(),
    issuer: resolved.issuer,
    audience: resolved.audience,
    close: () => ctx.keys.close(),
  };
}
