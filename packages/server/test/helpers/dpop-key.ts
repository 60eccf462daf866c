import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { sha256 } from '../../src/crypto.js';

export interface ProofOptions {
  accessToken?: string;
  /** Seconds since the epoch. Default now. */
  iat?: number;
  jti?: string;
  /** Replaces or adds protected-header members (`typ`, `jwk`...). */
  header?: Record<string, unknown>;
  /** Replaces or adds claims (`htu`, `ath`...); `undefined` removes one. */
  claims?: Record<string, unknown>;
}

export interface DpopKey {
  jwk: JWK;
  jkt: string;
  /** An RFC 9449 proof, hand-signed so that tests can break any part of it. */
  proof(method: string, url: string, options?: ProofOptions): Promise<string>;
}

/** A client's DPoP key pair, and proofs made with it (test side: the SDK's own prover lives in @tokenward/core/dpop). */
export async function dpopKey(alg: 'ES256' | 'EdDSA' | 'PS256' = 'ES256', clock: () => number = Date.now): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = await exportJWK(publicKey);
  return {
    jwk,
    jkt: await calculateJwkThumbprint(jwk),
    async proof(method, url, { accessToken, iat = Math.floor(clock() / 1000), jti = crypto.randomUUID(), header = {}, claims = {} } = {}) {
      const target = new URL(url);
      const payload: Record<string, unknown> = { htm: method, htu: target.origin + target.pathname, iat, jti, ...(accessToken === undefined ? {} : { ath: await sha256(accessToken) }), ...claims };
      for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
      return new SignJWT(payload).setProtectedHeader({ alg, typ: 'dpop+jwt', jwk, ...header } as never).sign(privateKey);
    },
  };
}
