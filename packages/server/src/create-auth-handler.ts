import type { JSONWebKeySet } from 'jose';
import { resolveOptions, type AuthHandlerOptions } from './auth-handler-options.js';
import { createDpopProofVerifier } from './create-dpop-proof-verifier.js';
import { createFamilies } from './create-families.js';
import { createKeyRing } from './create-key-ring.js';
import { createMemoryStore } from './create-memory-store.js';
import { cookieSet, isSecure } from './cookies.js';
import { createRateLimiter } from './create-rate-limiter.js';
import type { HandlerContext, RouteHandler } from './handler-context.js';
import { error } from './responses.js';
import { loginRoute } from './routes/login-route.js';
import { logoutRoute } from './routes/logout-route.js';
import { oidcCallbackRoute } from './routes/oidc-callback-route.js';
import { oidcLoginRoute } from './routes/oidc-login-route.js';
import { refreshRoute } from './routes/refresh-route.js';

/** What an adapter knows about the connection that a Request does not carry. */
export interface RequestContext {
  /** The client's IP address, for rate limits. */
  clientAddress?: string;
}

export interface AuthHandler {
  /** Answers the contract's routes; `undefined` for any other path, so it composes with any router. Never throws. */
  handle(request: Request, context?: RequestContext): Promise<Response | undefined>;
  /** The public keys: the current signing key and the previous one. */
  jwks(): Promise<JSONWebKeySet>;
  /** Ends every session of a user (an admin tool, a password change): their next refresh gets 401. */
  revokeUser(sub: string): Promise<number>;
  /** Ends one session. */
  revokeFamily(familyId: string): Promise<boolean>;
  /** Stops the key-rotation timer. A store you passed in stays yours to close. */
  close(): Promise<void>;
}

const PRUNE_EVERY_MS = 60_000;

/**
 * The server half of tokenward's cookie contract as a Web-standard handler: `POST {base}/login`,
 * `/refresh` and `/logout`, and the JWKS. Who the user is stays the app's decision (`authenticate`).
 *
 * @example
 * const auth = createAuthHandler({
 *   issuer: 'https://app.example.com',
 *   audience: 'https://app.example.com/api',
 *   async authenticate(request) {
 *     const { email, password } = await request.json();
 *     const user = await users.check(email, password);
 *     return user && { sub: user.id, claims: { roles: user.roles } };
 *   },
 * });
 * const response = await auth.handle(request); // undefined: not an auth route
 */
export function createAuthHandler(options: AuthHandlerOptions): AuthHandler {
  const resolved = resolveOptions(options);
  const { clock, logger } = resolved;
  const store = options.store ?? createMemoryStore();
  const policy = { graceMs: resolved.graceMs, idleMs: resolved.idleTtlSeconds * 1000, absoluteMs: resolved.absoluteTtlSeconds * 1000 };
  const limiter = (limit: typeof resolved.rateLimit.login) => (limit ? createRateLimiter(limit, clock) : undefined);
  const ctx: HandlerContext = {
    options: resolved,
    keys: createKeyRing({ ...resolved }),
    upstream: options.upstream,
    store,
    families: createFamilies({ store, policy, clock }),
    limiters: { login: limiter(resolved.rateLimit.login), refresh: limiter(resolved.rateLimit.refresh), family: limiter(resolved.rateLimit.family) },
    dpop: resolved.dpop ? createDpopProofVerifier({ clock, replayStore: options.dpopReplayStore }) : undefined,
    inflight: new Map(),
    upstreamInflight: new Map(),
  };
  const jwksRoute: RouteHandler = async () => Response.json(await ctx.keys.jwks(), { headers: { 'cache-control': 'no-cache' } });
  const base = resolved.basePath === '/' ? '' : resolved.basePath;
  // Path -> method -> handler. `/login` answers POST (password), GET (OpenID) or both.
  const login: Record<string, RouteHandler> = {};
  if (resolved.authenticate) login.POST = loginRoute;
  if (ctx.upstream) login.GET = oidcLoginRoute;
  const routes = new Map<string, Record<string, RouteHandler>>([
    [`${base}/login`, login],
    [`${base}/refresh`, { POST: refreshRoute }],
    [`${base}/logout`, { POST: logoutRoute }],
    [resolved.jwksPath, { GET: jwksRoute }],
  ]);
  if (ctx.upstream) routes.set(`${base}/callback`, { GET: oidcCallbackRoute });
  const paths = { refresh: resolved.basePath, access: resolved.accessCookiePath };
  const cookieSets = { secure: cookieSet(paths, true), plain: cookieSet(paths, false) };
  let nextPruneAt = clock() + PRUNE_EVERY_MS;
  let warnedAddress = false;

  function prune(now: number): void {
    if (now < nextPruneAt) return;
    nextPruneAt = now + PRUNE_EVERY_MS;
    store.prune(now).catch((cause: unknown) => logger.error('tokenward: pruning the refresh store failed', cause));
  }

  return {
    async handle(request, context = {}) {
      const url = new URL(request.url);
      const route = routes.get(url.pathname);
      if (!route) return undefined;
      prune(clock());
      let response: Response;
      try {
        const handler = Object.hasOwn(route, request.method) ? route[request.method] : undefined;
        if (!handler) {
          // OPTIONS included: a preflight is refused, never granted. No CORS on these routes, ever.
          response = error(405, 'method_not_allowed', { allow: Object.keys(route).join(', ') });
        } else {
          const address = resolved.clientAddress?.(request) ?? context.clientAddress;
          if (address === undefined && !warnedAddress) {
            // One shared bucket would let one client lock everyone out: without an address, no per-address limit.
            warnedAddress = true;
            logger.warn('tokenward: no client address, so no per-address rate limits; pass handle(request, { clientAddress }) or the clientAddress option');
          }
          const secure = isSecure(url, resolved.secure);
          response = await handler(ctx, request, { path: url.pathname, address, secure, cookies: secure ? cookieSets.secure : cookieSets.plain });
        }
      } catch (cause) {
        // Only the error: requests carry tokens and cookies, and they are never logged.
        logger.error('tokenward: an auth route failed', cause);
        response = error(500, 'server_error');
      }
      // Token-bearing answers must sit in no cache; the JWKS may be revalidated.
      if (route.GET !== jwksRoute) response.headers.set('cache-control', 'no-store');
      return response;
    },
    jwks: () => ctx.keys.jwks(),
    revokeUser: (sub) => store.revokeUser(sub),
    revokeFamily: (familyId) => store.revokeFamily(familyId),
    async close() {
      ctx.keys.close();
    },
  };
}
