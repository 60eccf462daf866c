import { createAuthHandler, createTokenVerifier, type AuthEvent, type AuthHandler, type RequestContext } from '@tokenward/server';
import { demoAccounts } from './accounts.js';
import { apiCsrfGuard, demoRoutes, type DemoContext } from './demo-routes.js';
import { resolveOptions, type AuthServerOptions } from './options.js';
import { error } from './responses.js';
import { createRouter } from './router.js';
import { createStaticFiles } from './static-files.js';
import { createStats, type AuthServerStats, type StatName } from './stats.js';

export interface AuthServer {
  /** Answers one request. Never throws: an unexpected failure becomes a 500. */
  handle(request: Request, context?: RequestContext): Promise<Response>;
  stats(): AuthServerStats;
  resetStats(): void;
  /** Revokes every refresh-token family of the user: their next refresh gets 401 invalid_grant. */
  revokeUser(username: string): Promise<number>;
  /** The public keys: the current signing key and the previous one. */
  jwks(): ReturnType<AuthHandler['jwks']>;
  readonly issuer: string;
  readonly audience: string;
  /** Stops the key-rotation timer. Does not close a listener: see `listen().close()`. */
  close(): Promise<void>;
}

/** Which package events the demo's counters count. */
const COUNTED: Partial<Record<AuthEvent['type'], StatName>> = {
  login: 'logins',
  grace: 'graceReuses',
  reuse: 'reuseDetections',
  logout: 'logouts',
  csrf: 'csrfRejections',
};

/**
 * The demo's backend: `createAuthHandler` from @tokenward/server (the part a backend team
 * installs) plus demo accounts, counters, fault injection, a demo API and static files.
 *
 * @example
 * ```ts
 * const server = createAuthServer({ accessTtlSeconds: 5, graceMs: 0 });
 * const { url, close } = await listen(server, { port: 0 });
 * await close();
 * await server.close();
 * ```
 */
export function createAuthServer(options?: AuthServerOptions): AuthServer {
  const resolved = resolveOptions(options);
  const stats = createStats();
  const auth = createAuthHandler({
    authenticate: demoAccounts(resolved.users),
    issuer: resolved.issuer,
    audience: resolved.audience,
    accessTtlSeconds: resolved.accessTtlSeconds,
    idleTtlSeconds: resolved.refreshTtlSeconds,
    absoluteTtlSeconds: resolved.absoluteTtlSeconds,
    graceMs: resolved.graceMs,
    keyRotationMs: resolved.keyRotationMs,
    secure: resolved.secure,
    rateLimit: resolved.rateLimit,
    clock: resolved.clock,
    upstream: resolved.upstream,
    upstreamClaims: ({ sub }) => ({ role: resolved.users.find((user) => user.username === sub)?.role ?? 'user' }),
    onEvent: (event) => {
      const stat = COUNTED[event.type];
      if (stat) stats.count(stat);
    },
  });
  const ctx: DemoContext = {
    options: resolved,
    auth,
    stats,
    verify: createTokenVerifier({ jwks: () => auth.jwks(), issuer: resolved.issuer, audience: resolved.audience, clock: resolved.clock }),
  };
  const staticFiles = resolved.staticDir === undefined ? undefined : createStaticFiles(resolved.staticDir);
  const route = createRouter([...resolved.extraRoutes, ...demoRoutes(ctx)], async (request) => (await staticFiles?.(request)) ?? error(404, 'not_found'));

  /** `POST /auth/refresh` with the demo's hooks around the package: counted, faulted, delayed. */
  async function refresh(request: Request, context: RequestContext): Promise<Response | undefined> {
    stats.count('refreshRequests');
    let response = await resolved.faults?.(request);
    if (!response) {
      // A slow server: the delay comes before the rotation, and a client that has gone away by then
      // (a tab closed mid-refresh) rotates nothing, so its refresh cookie stays the current one.
      const delay = resolved.refreshDelayMs();
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      response = request.signal.aborted ? error(499, 'client_closed_request') : await auth.handle(request, context);
    }
    stats.count(response?.ok ? 'refreshSuccesses' : 'refreshFailures');
    return response;
  }

  async function handle(request: Request, context: RequestContext = {}): Promise<Response> {
    let response: Response;
    try {
      const { pathname } = new URL(request.url);
      const isRefresh = pathname === '/auth/refresh' && request.method === 'POST';
      const extra = resolved.extraRoutes.some((candidate) => candidate.path === pathname);
      response =
        (await apiCsrfGuard(ctx, request)) ??
        (extra ? undefined : isRefresh ? await refresh(request, context) : await auth.handle(request, context)) ??
        (await route(request));
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
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    revokeUser: (username) => auth.revokeUser(username),
    jwks: () => auth.jwks(),
    issuer: resolved.issuer,
    audience: resolved.audience,
    close: () => auth.close(),
  };
}
