import { randomUUID } from 'node:crypto';
import { ConfigError, createSession } from '@tokenward/core';
import type { Clock, RefreshPolicy, Session } from '@tokenward/core';
import { SignJWT, type JSONWebKeySet, type JWTPayload } from 'jose';
import { toRefreshError } from './classify.js';
import type { PrivateKeyInput } from './client-auth.js';
import { createStaticKeyProvider, type KeyProvider } from './create-key-provider.js';

/**
 * Options of `createSelfSignedTokens`: who mints (`issuer`, `subject`), for whom (`audience`), how long (`ttl`).
 * @example
 * const options: SelfSignedTokensOptions = { key: createKeyProvider(), issuer: 'urn:billing', subject: 'billing-worker', audience: 'urn:ledger', ttl: 120, claims: { scope: 'ledger:write' } };
 */
export interface SelfSignedTokensOptions {
  /** A key provider (rotation, see `createKeyProvider`), or one fixed private key. */
  key: KeyProvider | PrivateKeyInput;
  /** The `kid` of a fixed key (a JWK's own `kid` otherwise). */
  kid?: string;
  /** JWS algorithm of a fixed key; inferred from the key when absent. */
  alg?: string;
  issuer: string;
  subject: string;
  audience: string | string[];
  /** Token lifetime in seconds. Default 60. */
  ttl?: number;
  /** Extra claims (`scope`, ...). The registered claims above win over these. */
  claims?: JWTPayload;
  policy?: Partial<RefreshPolicy>;
  clock?: Clock;
  random?: () => number;
}

/**
 * A session of locally minted tokens, plus the public keys the receiving service verifies them with.
 * @example
 * const jwks = await tokens.jwks(); // serve at /.well-known/jwks.json, or hand to the receiver
 * const token = await tokens.getAccessToken();
 */
export interface SelfSignedTokens extends Session {
  /** The JWKS to publish (or hand over) to the receiving service. */
  jwks(): Promise<JSONWebKeySet>;
}

/**
 * Ephemeral credentials: a `Session` whose refresh mints a short-lived JWT locally (jose), signed
 * with the key provider's current key. No network, so refreshes are cheap; they still run ahead of
 * expiry and never keep the process alive.
 * @example
 * const tokens = createSelfSignedTokens({ key: createKeyProvider(), issuer: 'billing', subject: 'billing', audience: 'ledger', ttl: 60 });
 * const authFetch = createAuthFetch(tokens, { origins: ['https://ledger.internal'] });
 */
export function createSelfSignedTokens(options: SelfSignedTokensOptions): SelfSignedTokens {
  const { issuer, subject, audience, ttl = 60, claims = {} } = options;
  if (!issuer || !subject || !audience || (Array.isArray(audience) && audience.length === 0)) {
    throw new ConfigError('createSelfSignedTokens needs an issuer, a subject and an audience');
  }
  if (!(ttl > 0) || !Number.isFinite(ttl)) throw new ConfigError('ttl must be a positive number of seconds');
  const provider = isKeyProvider(options.key) ? options.key : createStaticKeyProvider(options.key, { kid: options.kid, alg: options.alg });
  const now = options.clock ? () => options.clock!.now() : Date.now;

  const session = createSession({
    policy: options.policy,
    clock: options.clock,
    random: options.random,
    refresh: async () => {
      try {
        const { privateKey, kid, alg } = await provider.current();
        const issuedAt = Math.floor(now() / 1000);
        const accessToken = await new SignJWT(claims)
          .setProtectedHeader({ alg, kid, typ: 'JWT' })
          .setIssuer(issuer)
          .setSubject(subject)
          .setAudience(audience)
          .setIssuedAt(issuedAt)
          .setExpirationTime(issuedAt + ttl)
          .setJti(randomUUID())
          .sign(privateKey);
        // In local time, from the truncated iat: never later than the token's own exp.
        return { accessToken, tokenType: 'Bearer', expiresAt: (issuedAt + ttl) * 1000 };
      } catch (error) {
        throw toRefreshError(error, 'Minting a token');
      }
    },
  });
  return Object.assign(session, { jwks: async () => provider.jwks() });
}

function isKeyProvider(value: unknown): value is KeyProvider {
  return typeof value === 'object' && value !== null && typeof (value as KeyProvider).current === 'function';
}
