import type { ResolvedOptions } from './auth-handler-options.js';
import type { CookieSet } from './cookies.js';
import type { Families } from './create-families.js';
import type { DpopProofVerifier } from './create-dpop-proof-verifier.js';
import type { KeyRing, SignedAccessToken } from './create-key-ring.js';
import type { OidcUpstream } from './create-oidc-upstream.js';
import type { RateLimiter } from './create-rate-limiter.js';
import type { FamilyRecord, RefreshStore } from './refresh-store.js';

/** A session handed out: what a login, a rotation or a grace answer sends back. */
export interface SessionGrant {
  family: FamilyRecord;
  refreshToken: string;
  access: SignedAccessToken;
}

/** What every route shares: one object, so routes stay plain functions. */
export interface HandlerContext {
  options: ResolvedOptions;
  keys: KeyRing;
  /** The OpenID provider that signs users in, when the handler has one. */
  upstream: OidcUpstream | undefined;
  store: RefreshStore;
  families: Families;
  limiters: { login?: RateLimiter; refresh?: RateLimiter; family?: RateLimiter };
  /** Checks the DPoP proofs of login and refresh, with `dpop` on. */
  dpop: DpopProofVerifier | undefined;
  /** Refreshes in flight by presented token: concurrent duplicates wait for the first one's grant. */
  inflight: Map<string, Promise<{ grant?: SessionGrant }>>;
  /** Provider refreshes in flight by family id: one per family however many refreshes wait on it. */
  upstreamInflight: Map<string, Promise<'ok' | 'ended' | 'unavailable'>>;
}

/** What `handle` works out once per request. */
export interface RequestMeta {
  path: string;
  /** The client's address, for rate limits; undefined when neither the adapter nor an option knows it. */
  address: string | undefined;
  /** Whether this request's cookies are Secure (and so prefixed). */
  secure: boolean;
  cookies: CookieSet;
}

/** One route of the contract. */
export type RouteHandler = (ctx: HandlerContext, request: Request, meta: RequestMeta) => Promise<Response>;
