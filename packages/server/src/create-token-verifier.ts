import { ConfigError } from '@tokenward/core';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey, type RemoteJWKSetOptions } from 'jose';
import { COOKIE_NAMES, readCookie } from './cookies.js';
import { createDpopProofVerifier, DPOP_ALGS as ALGS, type DpopProofVerifier } from './create-dpop-proof-verifier.js';
import type { ReplayStore } from './create-replay-cache.js';

/** The verified access token's claims. */
export interface AccessClaims extends JWTPayload {
  sub: string;
  exp: number;
}

/** A check on verified claims: undefined passes, else why not (see `requireRoles`, `requireScopes`): a 403. */
export type Requirement = (claims: AccessClaims) => { error: string; challenge: string } | undefined;

/** A refusal carries its parts too, for frameworks that answer without a Web Response (Express). */
export type VerifyResult =
  | { ok: true; claims: AccessClaims }
  | { ok: false; status: 401 | 403; error: string; challenge: string; response: Response };

/**
 * A Web Request, or anything with Node-style headers (node:http, Express, Fastify). With `dpop`,
 * a Node-style request also needs its `method` and `url` (node:http's and Express's `req` have them).
 */
export type RequestLike = Request | { headers: Record<string, string | string[] | undefined>; method?: string; url?: string };

export interface TokenVerifierOptions {
  /** The issuer's keys: a set, or a function returning the current set (e.g. `() => auth.jwks()`). */
  jwks?: JSONWebKeySet | (() => Promise<JSONWebKeySet>);
  /** Or where to fetch them (jose's `createRemoteJWKSet`: cached, refetched on an unknown `kid`). */
  jwksUrl?: string | URL;
  /** jose's options for `jwksUrl`: `cooldownDuration` (default 30 s between refetches), `cacheMaxAge`, `timeoutDuration`. */
  remoteJwks?: RemoteJWKSetOptions;
  issuer: string;
  audience: string;
  /** Seconds of clock skew accepted. Default 2. */
  clockTolerance?: number;
  /** The access cookie of cookie mode. Default `__Secure-tw_access`, else `tw_access`; `false`: bearer only. */
  cookie?: string | false;
  /** Milliseconds since the epoch. Default `Date.now`. */
  clock?: () => number;
  /**
   * RFC 9449 sender-constrained tokens. `true`: `Authorization: DPoP` with a valid `DPoP` proof of
   * the token's `cnf.jkt` key, and Bearer for unbound tokens; a bound token never passes without
   * its proof. `'required'`: DPoP-bound tokens only. Default `false` (Bearer and the cookie only).
   */
  dpop?: boolean | 'required';
  /** With `dpop`: proof ids shared by every instance of the API (see `DpopProofVerifierOptions.replayStore`). */
  dpopReplayStore?: ReplayStore;
  /**
   * The API's public origin (`https://api.example.com`), which proofs' `htu` must name. Default:
   * the request's own URL, or for a Node-style request `http://` + its Host header. Set it behind
   * a proxy, and in production: a Host-derived origin accepts a proof made for another server.
   */
  origin?: string;
}

/** `TokenVerifier(request, ...requirements)`: the claims, or the 401/403 answer to send as is. */
export type TokenVerifier = (request: RequestLike, ...requirements: Requirement[]) => Promise<VerifyResult>;

const CREDENTIALS = /^(Bearer|DPoP) +([\w.~+/-]+=*)$/i;

type Presented = { token: string; scheme: 'bearer' | 'dpop' | 'cookie' };

/**
 * Verifies the access token of an API request (ES256 `at+jwt`, issuer, audience, expiry) from
 * `Authorization: Bearer` (or, with `dpop`, `Authorization: DPoP` and its proof) or the cookie-mode
 * access cookie, then any role or scope requirements. Failures come as ready answers with RFC 6750
 * / RFC 9449 `WWW-Authenticate`: no token `401 Bearer`; a bad or expired one `401 Bearer
 * error="invalid_token"`; a DPoP token with a bad proof `401 DPoP error="invalid_dpop_proof"`;
 * missing privileges `403 error="insufficient_scope"`.
 *
 * @example
 * const verify = createTokenVerifier({ jwksUrl: 'https://auth.example.com/.well-known/jwks.json', issuer, audience });
 * const result = await verify(request, requireRoles('admin'));
 * if (!result.ok) return result.response;
 * console.log(result.claims.sub);
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { jwks, jwksUrl, remoteJwks, issuer, audience, clockTolerance = 2, cookie, clock = Date.now, dpop = false, dpopReplayStore, origin } = options;
  if ((jwks === undefined) === (jwksUrl === undefined)) throw new ConfigError('createTokenVerifier: pass exactly one of `jwks` and `jwksUrl`');
  if (dpop !== false && dpop !== true && dpop !== 'required') throw new ConfigError("createTokenVerifier: `dpop` must be a boolean or 'required'");
  if (origin !== undefined && (!URL.canParse(origin) || new URL(origin).origin !== origin)) throw new ConfigError(`createTokenVerifier: \`origin\` must be an origin, got ${JSON.stringify(origin)}`);
  const keys = keySource(jwks, jwksUrl, remoteJwks);
  const proofs = dpop ? createDpopProofVerifier({ clock, replayStore: dpopReplayStore }) : undefined;
  // Without a token: every scheme this verifier takes, with the algorithms proofs may use.
  const bare = dpop === 'required' ? `DPoP ${ALGS}` : dpop ? `Bearer, DPoP ${ALGS}` : 'Bearer';

  return async (request, ...requirements) => {
    const presented = tokenOf(request, cookie, dpop !== false);
    if (!presented) return refusal(401, bare, 'invalid_token');
    const invalid = presented.scheme === 'dpop' ? `DPoP error="invalid_token", ${ALGS}` : 'Bearer error="invalid_token"';
    let claims: AccessClaims;
    try {
      const { payload } = await jwtVerify(presented.token, await keys(), {
        issuer,
        audience,
        algorithms: ['ES256'],
        typ: 'at+jwt',
        clockTolerance,
        currentDate: new Date(clock()),
        requiredClaims: ['sub', 'exp'],
      });
      claims = payload as AccessClaims;
    } catch {
      // Which check failed is the server's business; the client only needs "get a new token".
      return refusal(401, invalid, 'invalid_token');
    }
    if (proofs) {
      const refused = await checkBinding(proofs, request, presented, claims, dpop === 'required', origin);
      if (refused) return refusal(401, refused === 'invalid_token' ? invalid : `DPoP error="invalid_dpop_proof", ${ALGS}`, refused);
    }
    for (const requirement of requirements) {
      const refused = requirement(claims);
      if (refused) return refusal(403, refused.challenge, refused.error);
    }
    return { ok: true, claims };
  };
}

/**
 * RFC 9449 7: a bound token (`cnf.jkt`) only as `DPoP` with a proof of that key for this request
 * and this token; a `DPoP` token must be bound; `required` takes bound tokens only.
 */
async function checkBinding(proofs: DpopProofVerifier, request: RequestLike, { token, scheme }: Presented, claims: AccessClaims, required: boolean, origin: string | undefined): Promise<'invalid_token' | 'invalid_dpop_proof' | undefined> {
  const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
  if (scheme !== 'dpop') return jkt !== undefined || required ? 'invalid_token' : undefined;
  if (typeof jkt !== 'string') return 'invalid_token';
  const target = targetOf(request, origin);
  if (!target) return 'invalid_dpop_proof';
  const result = await proofs(header(request, 'dpop'), { ...target, accessToken: token });
  return result.ok && result.jkt === jkt ? undefined : 'invalid_dpop_proof';
}

/** The method and URL a proof must name: the Request's, or a Node-style request's on `origin` (else its Host). */
function targetOf(request: RequestLike, origin: string | undefined): { method: string; url: string } | undefined {
  // Express rewrites `url` under a mount; `originalUrl` is what the client requested.
  const { method, url: path, originalUrl } = request as { method?: string; url?: string; originalUrl?: string };
  const url = originalUrl ?? path;
  if (typeof method !== 'string' || typeof url !== 'string') return undefined;
  if (request instanceof Request) return { method, url: origin === undefined ? url : origin + new URL(url).pathname };
  const host = header(request, 'host');
  const base = origin ?? (host === undefined ? undefined : `http://${host}`);
  if (base === undefined || !url.startsWith('/') || !URL.canParse(url, base)) return undefined;
  return { method, url: base + url };
}

function keySource(jwks: TokenVerifierOptions['jwks'], jwksUrl: TokenVerifierOptions['jwksUrl'], remoteOptions?: RemoteJWKSetOptions): () => Promise<JWTVerifyGetKey> {
  if (jwksUrl !== undefined) {
    const remote = createRemoteJWKSet(new URL(jwksUrl), remoteOptions);
    return async () => remote;
  }
  if (typeof jwks !== 'function') {
    const local = createLocalJWKSet(jwks!);
    return async () => local;
  }
  // A key set that rotates: rebuilt only when its kids change.
  let cached: { kids: string; set: JWTVerifyGetKey } | undefined;
  return async () => {
    const current = await jwks();
    const kids = current.keys.map((key) => key.kid).join(' ');
    if (cached?.kids !== kids) cached = { kids, set: createLocalJWKSet(current) };
    return cached.set;
  };
}

function header(request: RequestLike, name: string): string | undefined {
  if (request.headers instanceof Headers) return request.headers.get(name) ?? undefined;
  const value = (request.headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value.join('; ') : value;
}

function tokenOf(request: RequestLike, cookie: string | false | undefined, dpop: boolean): Presented | undefined {
  const authorization = header(request, 'authorization');
  if (authorization) {
    const match = CREDENTIALS.exec(authorization);
    const scheme = match?.[1]!.toLowerCase() as 'bearer' | 'dpop' | undefined;
    return match && (scheme === 'bearer' || dpop) ? { token: match[2]!, scheme: scheme! } : undefined;
  }
  if (cookie === false) return undefined;
  const cookies = header(request, 'cookie');
  const names = cookie !== undefined ? [cookie] : [`__Secure-${COOKIE_NAMES.access}`, COOKIE_NAMES.access];
  for (const name of names) {
    const value = readCookie(cookies, name);
    if (value !== undefined) return { token: value, scheme: 'cookie' };
  }
  return undefined;
}

function refusal(status: 401 | 403, challenge: string, error: string): VerifyResult {
  const response = Response.json({ error }, { status, headers: { 'www-authenticate': challenge, 'cache-control': 'no-store' } });
  return { ok: false, status, error, challenge, response };
}
