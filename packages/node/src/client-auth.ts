import { createPrivateKey, KeyObject } from 'node:crypto';
import { ConfigError } from '@tokenward/core';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';

/**
 * How the client proves who it is at the token endpoint.
 * @example
 * createClientCredentials({ issuer, clientId, clientSecret, authMethod: 'client_secret_post' });
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/**
 * A private key: a `CryptoKey`, a Node `KeyObject`, a private JWK, or a PKCS#8 PEM string.
 * @example
 * const privateKey: PrivateKeyInput = readFileSync('/run/secrets/client-key.pem', 'utf8');
 */
export type PrivateKeyInput = CryptoKey | KeyObject | JWK | string;

/** Seconds an assertion's `iat`/`nbf` are set back, so a server a little behind still accepts it. */
export const assertionBackdateSeconds = 5;
/** Seconds an assertion stays valid (counted from the server's now, not from the backdated `iat`). */
export const assertionLifetimeSeconds = 60;

export interface ClientAuthOptions {
  method: ClientAuthMethod;
  clientSecret?: string;
  privateKey?: PrivateKeyInput;
  keyId?: string;
  algorithm?: string;
  /** The server's current time (epoch ms): assertions are signed in server time. */
  serverNow: () => number;
  /** Overrides the assertion `aud` (oauth4webapi uses the issuer). */
  audience?: string;
}

/**
 * Builds the oauth4webapi client authentication. For `private_key_jwt` every call signs a new
 * assertion (fresh `jti`, `iat` in server time): call it once per token-endpoint attempt.
 */
export async function createClientAuth(options: ClientAuthOptions): Promise<oauth.ClientAuth> {
  switch (options.method) {
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(requireSecret(options));
    case 'client_secret_post':
      return oauth.ClientSecretPost(requireSecret(options));
    case 'private_key_jwt': {
      if (options.privateKey === undefined) throw new ConfigError('private_key_jwt needs a privateKey');
      const { key, kid, alg } = await importSigningKey(options.privateKey, options.algorithm, options.keyId);
      const { serverNow, audience } = options;
      return oauth.PrivateKeyJwt(
        { key, kid },
        {
          [oauth.modifyAssertion]: (header, payload) => {
            const now = Math.floor(serverNow() / 1000);
            payload.iat = now - assertionBackdateSeconds;
            payload.nbf = payload.iat;
            payload.exp = now + assertionLifetimeSeconds;
            if (audience !== undefined) payload.aud = audience;
            header.alg = alg;
          },
        },
      );
    }
    default:
      throw new ConfigError(`Unsupported authMethod: ${String(options.method)}`);
  }
}

export interface SigningKey {
  key: CryptoKey;
  kid: string | undefined;
  alg: string;
}

/** Imports any supported private key form as a non-extractable signing `CryptoKey` (jose). */
export async function importSigningKey(input: PrivateKeyInput, algorithm?: string, keyId?: string): Promise<SigningKey> {
  if (isCryptoKey(input)) {
    if (input.type !== 'private' || !input.usages.includes('sign')) {
      throw new ConfigError('The private key must be a private CryptoKey usable for "sign"');
    }
    return { key: input, kid: keyId, alg: algorithm ?? algorithmOfCryptoKey(input) };
  }
  const jwk = readPrivateKey(input);
  const alg = algorithm ?? jwk.alg ?? algorithmOfJwk(jwk);
  const imported = await importJWK(jwk, alg, { extractable: false });
  if (imported instanceof Uint8Array) throw new ConfigError('A symmetric key cannot sign a private_key_jwt assertion');
  return { key: imported, kid: keyId ?? jwk.kid, alg };
}

/**
 * A private key other than a CryptoKey as a private JWK, synchronously: `createClientCredentials`
 * calls it to refuse an unreadable key when it is created. The message names no part of the key.
 */
export function readPrivateKey(input: Exclude<PrivateKeyInput, CryptoKey>): JWK {
  let jwk: JWK;
  try {
    if (typeof input === 'string') jwk = createPrivateKey(input).export({ format: 'jwk' }) as JWK;
    else jwk = input instanceof KeyObject ? (input.export({ format: 'jwk' }) as JWK) : input;
  } catch (cause) {
    throw new ConfigError(`The private key could not be read: ${(cause as Error).message}`);
  }
  if (jwk.d === undefined) throw new ConfigError('The private key JWK has no private part ("d")');
  return jwk;
}

function algorithmOfJwk(jwk: JWK): string {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') {
    const byCurve: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
    const alg = byCurve[jwk.crv ?? ''];
    if (alg) return alg;
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'Ed25519';
  throw new ConfigError(`Cannot infer the signing algorithm of a ${jwk.kty ?? 'typeless'} key: pass "algorithm"`);
}

function algorithmOfCryptoKey(key: CryptoKey): string {
  const algorithm = key.algorithm as { name: string; namedCurve?: string; hash?: { name: string } };
  const bits = algorithm.hash?.name.slice(4) ?? '256';
  switch (algorithm.name) {
    case 'ECDSA':
      return algorithmOfJwk({ kty: 'EC', crv: algorithm.namedCurve });
    case 'RSASSA-PKCS1-v1_5':
      return `RS${bits}`;
    case 'RSA-PSS':
      return `PS${bits}`;
    case 'Ed25519':
      return 'Ed25519';
    default:
      throw new ConfigError(`Unsupported signing key algorithm ${algorithm.name}: pass "algorithm"`);
  }
}

export function isCryptoKey(value: unknown): value is CryptoKey {
  // The global, looked up at run time: the declarations name jose's type, so they need no DOM library.
  const WebCryptoKey = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;
  return WebCryptoKey !== undefined && value instanceof WebCryptoKey;
}

function requireSecret(options: ClientAuthOptions): string {
  if (!options.clientSecret) throw new ConfigError(`${options.method} needs a clientSecret`);
  return options.clientSecret;
}
