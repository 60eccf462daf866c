import type { AuthHandlerOptions, OidcUpstream } from '@tokenward/server';

/** A demo account. A real server stores a password hash (scrypt, argon2), never the password. */
export interface AuthUser {
  username: string;
  password: string;
  role: string;
}

/** A route added next to the built-in ones (for example by the SPA demo or a test). */
export interface ExtraRoute {
  method: string;
  path: string;
  handler: (request: Request) => Promise<Response> | Response;
}

/** Everything is optional; the defaults suit the live demo. */
export interface AuthServerOptions {
  /** Access-token lifetime. Default 30 seconds, short so the demo shows refreshes. */
  accessTtlSeconds?: number;
  /** Refresh-token lifetime, renewed on every rotation (the sliding idle lifetime). Default one day. */
  refreshTtlSeconds?: number;
  /** A session ends this long after sign-in, however active. Default 30 days. */
  absoluteTtlSeconds?: number;
  /** @tokenward/server's rate limits (per client address, per family); default its defaults. */
  rateLimit?: AuthHandlerOptions['rateLimit'];
  /**
   * How long after its rotation a refresh token may be presented again and still get
   * the current child instead of revoking the family. Default 5000. `0` is strict:
   * any reuse revokes the family.
   */
  graceMs?: number;
  /** Signing-key rotation interval. Default 10 minutes; `0` never rotates. */
  keyRotationMs?: number;
  /** `iss` of the access tokens. Default `http://127.0.0.1`. */
  issuer?: string;
  /** `aud` of the access tokens. Default `tokenward-demo-api`. */
  audience?: string;
  /** Default: `demo`/`demo` (role `user`) and `admin`/`admin` (role `admin`). */
  users?: readonly AuthUser[];
  /** `'auto'` (default): `Secure` cookies (and `__Host-`/`__Secure-` names) except on localhost and 127.0.0.1. */
  secure?: 'auto' | boolean;
  /** Delay before a refresh is processed; a client gone by then rotates nothing (a tab closing mid-refresh). */
  refreshDelayMs?: number | (() => number);
  /**
   * Called on every `POST /auth/refresh` before anything else. Return a Response to answer
   * with it (500, 429, HTML, a promise that never settles...), or undefined to go on.
   */
  faults?: (request: Request) => Response | Promise<Response | undefined> | undefined;
  /** Milliseconds since the epoch. Default `Date.now`. Drives token times and key rotation. */
  clock?: () => number;
  /** Routes checked before the built-in ones. */
  extraRoutes?: readonly ExtraRoute[];
  /** Serve this directory at `/` (`index.html` for `/`) when no route matches. */
  staticDir?: string;
  /**
   * An OpenID provider to sign in with, next to the password login (`GET /auth/login`,
   * `/auth/callback`); the role comes from the demo account of the same name, else `user`.
   */
  upstream?: OidcUpstream;
}

export interface ResolvedOptions {
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  absoluteTtlSeconds: number;
  rateLimit: AuthHandlerOptions['rateLimit'];
  graceMs: number;
  keyRotationMs: number;
  issuer: string;
  audience: string;
  users: readonly AuthUser[];
  secure: 'auto' | boolean;
  refreshDelayMs: () => number;
  faults: AuthServerOptions['faults'];
  clock: () => number;
  extraRoutes: readonly ExtraRoute[];
  staticDir: string | undefined;
  upstream: OidcUpstream | undefined;
}

const DEFAULT_USERS: readonly AuthUser[] = [
  { username: 'demo', password: 'demo', role: 'user' },
  { username: 'admin', password: 'admin', role: 'admin' },
];

export function resolveOptions(options: AuthServerOptions = {}): ResolvedOptions {
  const delay = options.refreshDelayMs ?? 0;
  // Durations are checked by createAuthHandler (a ConfigError naming the option).
  return {
    accessTtlSeconds: options.accessTtlSeconds ?? 30,
    refreshTtlSeconds: options.refreshTtlSeconds ?? 24 * 60 * 60,
    absoluteTtlSeconds: options.absoluteTtlSeconds ?? 30 * 24 * 60 * 60,
    rateLimit: options.rateLimit,
    graceMs: options.graceMs ?? 5000,
    keyRotationMs: options.keyRotationMs ?? 10 * 60 * 1000,
    issuer: options.issuer ?? 'http://127.0.0.1',
    audience: options.audience ?? 'tokenward-demo-api',
    users: options.users ?? DEFAULT_USERS,
    secure: options.secure ?? 'auto',
    refreshDelayMs: typeof delay === 'function' ? delay : () => delay,
    faults: options.faults,
    clock: options.clock ?? Date.now,
    extraRoutes: options.extraRoutes ?? [],
    staticDir: options.staticDir,
    upstream: options.upstream,
  };
}
