import { ConfigError } from '@tokenward/core';
import type { DpopProofFailure } from './create-dpop-proof-verifier.js';
import type { OidcUpstream } from './create-oidc-upstream.js';
import type { RateLimit } from './create-rate-limiter.js';
import type { ReplayStore } from './create-replay-cache.js';
import type { RefreshStore, SessionMode } from './refresh-store.js';

/** Who signed in, as the app decided: `sub` becomes the token's subject, `claims` its custom claims. */
export interface AuthenticatedUser {
  sub: string;
  /** Roles, scope, tenant...: signed into every access token of the session. */
  claims?: Record<string, unknown>;
}

/** What happened, for metrics and audit logs. Never carries a token. */
export type AuthEvent =
  | { type: 'login'; sub: string; familyId: string; mode: SessionMode }
  | { type: 'login_failed'; reason?: 'invalid_state' | 'access_denied' | 'invalid_grant' | 'invalid_id_token' | 'upstream_error' }
  | { type: 'refresh'; sub: string; familyId: string }
  | { type: 'grace'; sub: string; familyId: string; coalesced: boolean }
  | { type: 'reuse'; sub: string; familyId: string }
  | { type: 'invalid_grant'; reason: 'missing' | 'unknown' | 'expired' | 'unsealable' | 'upstream' | 'dpop_key' }
  /** A login or refresh with an invalid DPoP proof (or none, with `dpop: 'required'`): `reason` names the failed check. */
  | { type: 'dpop_refused'; path: string; reason: DpopProofFailure }
  | { type: 'logout'; familyId?: string; upstreamRevoked?: boolean }
  | { type: 'csrf'; path: string }
  | { type: 'rate_limited'; route: 'login' | 'refresh'; scope: 'address' | 'family' }
  | { type: 'too_large'; path: string };

export interface AuthHandlerOptions {
  /**
   * Checks the login request (its JSON body is readable) and names the user, or undefined to refuse.
   * Optional with `upstream`: without it there is no `POST {base}/login`.
   */
  authenticate?(request: Request): Promise<AuthenticatedUser | undefined> | AuthenticatedUser | undefined;
  /**
   * An OpenID provider signs users in (`createOidcUpstream`): `GET {base}/login` and `GET {base}/callback`.
   * `claims(idTokenClaims)` picks what goes into the session's access tokens (default none).
   */
  upstream?: OidcUpstream;
  /**
   * With `upstream`, the access token the page gets: `'local'` (default) one minted here, for the
   * app's own API; `'upstream'` the provider's, for APIs that trust the provider.
   */
  accessToken?: 'local' | 'upstream';
  /** With `upstream`: the custom access-token claims from the provider's validated ID token claims. */
  upstreamClaims?(idTokenClaims: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /**
   * RFC 9449 sender-constrained sessions. `true`: a login or refresh that carries a valid `DPoP`
   * proof binds the session to the proof's key (its refresh needs a proof of that key from then
   * on; bearer-mode access tokens get `cnf.jkt` and `token_type: 'DPoP'`). `'required'`: login and
   * refresh without a proof are refused. Default `false`: proofs are ignored.
   */
  dpop?: boolean | 'required';
  /** With `dpop` and several instances: proof ids shared by all of them (see `DpopProofVerifierOptions.replayStore`). */
  dpopReplayStore?: ReplayStore;
  /** `iss` of the access tokens. */
  issuer: string;
  /** `aud` of the access tokens. */
  audience: string;
  /** Default `createMemoryStore()`: one instance, sessions lost on restart. */
  store?: RefreshStore;
  /** Where the routes live, and the refresh cookie's Path. Default `/auth`. */
  basePath?: string;
  /** The access cookie's Path in cookie mode: your API. Default `/api`. */
  accessCookiePath?: string;
  /** Default `/.well-known/jwks.json`. */
  jwksPath?: string;
  /** Default 300 (5 minutes). */
  accessTtlSeconds?: number;
  /** Sliding: a session unused this long ends. Default 3 days. */
  idleTtlSeconds?: number;
  /** A session ends this long after sign-in, however active. Default 30 days. */
  absoluteTtlSeconds?: number;
  /** How long a rotated refresh token still gets the current one (a tab that missed the news). Default 5000; 0: any reuse revokes. */
  graceMs?: number;
  /** Signing-key rotation interval. Default one day; 0 never rotates. Keep it well above the access-token lifetime. */
  keyRotationMs?: number;
  /** `'auto'` (default): Secure cookies except on localhost / 127.0.0.1 / [::1]. Never `false` in production. */
  secure?: 'auto' | boolean;
  /** Per client address (login, refresh) and per family (rotations). `false` turns one or all off. */
  rateLimit?: false | { login?: RateLimit | false; refresh?: RateLimit | false; family?: RateLimit | false };
  /** Largest request body read. Default 16 KiB; past it 413 with `Connection: close`. */
  maxBodyBytes?: number;
  /** The client's address for rate limits, e.g. from a trusted proxy header. Default: what the adapter passes to `handle`. */
  clientAddress?(request: Request): string | undefined;
  onEvent?(event: AuthEvent): void;
  /** Default `console`. Lines carry family ids and error causes, never a token. */
  logger?: Pick<Console, 'warn' | 'error'>;
  /** Milliseconds since the epoch. Default `Date.now`. */
  clock?: () => number;
}

export type ResolvedLimits = { login: RateLimit | false; refresh: RateLimit | false; family: RateLimit | false };

export interface ResolvedOptions extends Required<Omit<AuthHandlerOptions, 'store' | 'rateLimit' | 'clientAddress' | 'onEvent' | 'authenticate' | 'upstream' | 'upstreamClaims' | 'dpopReplayStore'>> {
  authenticate: AuthHandlerOptions['authenticate'];
  upstreamClaims: NonNullable<AuthHandlerOptions['upstreamClaims']>;
  rateLimit: ResolvedLimits;
  clientAddress: AuthHandlerOptions['clientAddress'];
  onEvent: (event: AuthEvent) => void;
}

/** Login per address: a person retyping a password passes, a credential-stuffing script does not. */
const LOGIN: RateLimit = { burst: 20, perMinute: 20 };
/** Refresh per address: many tabs and users behind one NAT. Duplicates of an in-flight refresh are free. */
const REFRESH: RateLimit = { burst: 60, perMinute: 120 };
/** Rotations per family: a session needs one per access-token lifetime; a loop needs many more. */
const FAMILY: RateLimit = { burst: 20, perMinute: 60 };

export function resolveOptions(options: AuthHandlerOptions): ResolvedOptions {
  if (options?.accessToken !== undefined && options.accessToken !== 'local' && options.accessToken !== 'upstream') {
    throw new ConfigError("createAuthHandler: `accessToken` must be 'local' or 'upstream'");
  }
  if (typeof options?.authenticate !== 'function' && (options?.authenticate !== undefined || options?.upstream === undefined)) {
    throw new ConfigError('createAuthHandler: `authenticate` must be a function (or pass `upstream`)');
  }
  if (options.dpop !== undefined && options.dpop !== true && options.dpop !== false && options.dpop !== 'required') {
    throw new ConfigError("createAuthHandler: `dpop` must be a boolean or 'required'");
  }
  // The provider's tokens are bound (or not) by the provider: this handler cannot add `cnf` to them.
  if (options.dpop && options.accessToken === 'upstream') throw new ConfigError("createAuthHandler: `dpop` binds the access tokens minted here; it does not combine with accessToken: 'upstream'");
  for (const name of ['issuer', 'audience'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new ConfigError(`createAuthHandler: \`${name}\` must be a non-empty string`);
  }
  const limits = options.rateLimit;
  const resolved: ResolvedOptions = {
    authenticate: options.authenticate,
    upstreamClaims: options.upstreamClaims ?? (() => ({})),
    accessToken: options.accessToken ?? 'local',
    dpop: options.dpop ?? false,
    issuer: options.issuer,
    audience: options.audience,
    basePath: (options.basePath ?? '/auth').replace(/\/+$/, '') || '/',
    accessCookiePath: options.accessCookiePath ?? '/api',
    jwksPath: options.jwksPath ?? '/.well-known/jwks.json',
    accessTtlSeconds: options.accessTtlSeconds ?? 300,
    idleTtlSeconds: options.idleTtlSeconds ?? 3 * 24 * 3600,
    absoluteTtlSeconds: options.absoluteTtlSeconds ?? 30 * 24 * 3600,
    graceMs: options.graceMs ?? 5000,
    keyRotationMs: options.keyRotationMs ?? 24 * 3600 * 1000,
    secure: options.secure ?? 'auto',
    rateLimit: {
      login: limits === false ? false : (limits?.login ?? LOGIN),
      refresh: limits === false ? false : (limits?.refresh ?? REFRESH),
      family: limits === false ? false : (limits?.family ?? FAMILY),
    },
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024,
    clientAddress: options.clientAddress,
    onEvent: options.onEvent ?? (() => undefined),
    logger: options.logger ?? console,
    clock: options.clock ?? Date.now,
  };
  assertAtLeast('accessTtlSeconds', resolved.accessTtlSeconds, 1);
  assertAtLeast('idleTtlSeconds', resolved.idleTtlSeconds, 1);
  assertAtLeast('absoluteTtlSeconds', resolved.absoluteTtlSeconds, 1);
  assertAtLeast('graceMs', resolved.graceMs, 0);
  assertAtLeast('keyRotationMs', resolved.keyRotationMs, 0);
  assertAtLeast('maxBodyBytes', resolved.maxBodyBytes, 1);
  for (const path of [resolved.basePath, resolved.accessCookiePath, resolved.jwksPath]) {
    if (!path.startsWith('/') || /[;\s,]/.test(path)) throw new ConfigError(`createAuthHandler: invalid path ${JSON.stringify(path)}`);
  }
  return resolved;
}

function assertAtLeast(name: string, value: number, min: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ConfigError(`createAuthHandler: \`${name}\` must be a finite number >= ${min}, got ${String(value)}`);
  }
}
