import { ConfigError } from '@tokenward/core';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload, type JWTVerifyGetKey, type RemoteJWKSetOptions } from 'jose';
import { COOKIE_NAMES, readCookie } from './cookies.js';

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

/** A Web Request, or anything with Node-style headers (node:http, Express, Fastify). */
export type RequestLike = Request | { headers: Record<string, string | string[] | undefined> };

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
}

/** `TokenVerifier(request, ...requirements)`: the claims, or the 401/403 answer to send as is. */
export type TokenVerifier = (request: RequestLike, ...requirements: Requirement[]) => Promise<VerifyResult>;

const BEARER = /^Bearer +([\w.~+/-]+=*)$/i;

/**
 * Verifies the access token of an API request (ES256 `at+jwt`, issuer, audience, expiry) from
 * `Authorization: Bearer` or the cookie-mode access cookie, then any role or scope requirements.
 * Failures come as ready answers with RFC 6750 `WWW-Authenticate`: no token `401 Bearer`; a bad
 * or expired one `401 Bearer error="invalid_token"`; missing privileges `403 error="insufficient_scope"`.
 *
 * @example
 * const verify = createTokenVerifier({ jwksUrl: 'https://auth.example.com/.well-known/jwks.json', issuer, audience });
 * const result = await verify(request, requireRoles('admin'));
 * if (!result.ok) return result.response;
 * console.log(result.claims.sub);
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { jwks, jwksUrl, remoteJwks, issuer, audience, clockTolerance = 2, cookie, clock = Date.now } = options;
  if ((jwks === undefined) === (jwksUrl === undefined)) throw new ConfigError('createTokenVerifier: pass exactly one of `jwks` and `jwksUrl`');
  const keys = keySource(jwks, jwksUrl, remoteJwks);

  return async (request, ...requirements) => {
    const token = tokenOf(request, cookie);
    if (!token) return refusal(401, 'Bearer', 'invalid_token');
    let claims: AccessClaims;
    try {
      const { payload } = await jwtVerify(token, await keys(), {
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
      return refusal(401, 'Bearer error="invalid_token"', 'invalid_token');
    }
    for (const requirement of requirements) {
      const refused = requirement(claims);
      if (refused) return refusal(403, refused.challenge, refused.error);
    }
    return { ok: true, claims };
  };
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

function tokenOf(request: RequestLike, cookie: string | false | undefined): string | undefined {
  const authorization = header(request, 'authorization');
  if (authorization) return BEARER.exec(authorization)?.[1];
  if (cookie === false) return undefined;
  const cookies = header(request, 'cookie');
  const names = cookie !== undefined ? [cookie] : [`__Secure-${COOKIE_NAMES.access}`, COOKIE_NAMES.access];
  for (const name of names) {
    const value = readCookie(cookies, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

function refusal(status: 401 | 403, challenge: string, error: string): VerifyResult {
  const response = Response.json({ error }, { status, headers: { 'www-authenticate': challenge, 'cache-control': 'no-store' } });
  return { ok: false, status, error, challenge, response };
}
