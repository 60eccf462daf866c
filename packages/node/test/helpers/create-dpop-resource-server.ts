// A resource server that accepts only DPoP-bound JWT access tokens with a valid proof (RFC 9449 §7),
// checked with jose: the proof's signature (its embedded key), htm, htu, ath, iat, a jti never seen
// before, the token's cnf.jkt against the proof key, and a server nonce when one is demanded.
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmbeddedJWK, calculateJwkThumbprint, createRemoteJWKSet, jwtVerify, type JWK } from 'jose';

export interface DpopResourceServer {
  url: string;
  /** Requests answered 200, and why the others were refused (in order). */
  counts: { ok: number };
  refusals: string[];
  /** Demand a server nonce in every proof (RFC 9449 §9). */
  requireNonce: boolean;
  /** The nonce currently accepted; a new one is made on each change of `requireNonce`. */
  readonly nonce: string;
  close(): Promise<void>;
}

class Refused extends Error {
  constructor(readonly error: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce', reason: string) {
    super(reason);
  }
}

export async function createDpopResourceServer(options: { issuer: string; jwksUri: string; audience: string }): Promise<DpopResourceServer> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUri));
  const seenJti = new Set<string>();
  let nonce = randomUUID();
  const state = { counts: { ok: 0 }, refusals: [] as string[] };
  let requireNonce = false;
  let base = '';

  const server = createServer(async (request, response) => {
    try {
      const [scheme, token] = (request.headers.authorization ?? '').split(' ');
      if (scheme !== 'DPoP' || !token) throw new Refused('invalid_token', 'not a DPoP token');
      const proof = request.headers.dpop;
      if (typeof proof !== 'string') throw new Refused('invalid_dpop_proof', 'no proof');
      const { payload: claims } = await jwtVerify<{ cnf?: { jkt?: string } }>(token, jwks, { issuer: options.issuer, audience: options.audience }).catch(() => {
        throw new Refused('invalid_token', 'token does not verify');
      });
      const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] }).catch(() => {
        throw new Refused('invalid_dpop_proof', 'proof does not verify');
      });
      if (payload.htm !== request.method) throw new Refused('invalid_dpop_proof', 'htm');
      if (payload.htu !== `${base}${new URL(request.url!, base).pathname}`) throw new Refused('invalid_dpop_proof', 'htu');
      if (typeof payload.iat !== 'number' || Math.abs(payload.iat - Date.now() / 1000) > 60) throw new Refused('invalid_dpop_proof', 'iat');
      if (payload.ath !== createHash('sha256').update(token).digest('base64url')) throw new Refused('invalid_dpop_proof', 'ath');
      if ((await calculateJwkThumbprint(protectedHeader.jwk as JWK, 'sha256')) !== claims.cnf?.jkt) throw new Refused('invalid_token', 'cnf.jkt');
      if (requireNonce && payload.nonce !== nonce) throw new Refused('use_dpop_nonce', 'nonce');
      if (typeof payload.jti !== 'string' || seenJti.has(payload.jti)) throw new Refused('invalid_dpop_proof', 'jti replayed');
      seenJti.add(payload.jti);
      state.counts.ok += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, sub: claims.sub }));
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      state.refusals.push(error.message);
      const headers: Record<string, string> = { 'www-authenticate': `DPoP algs="ES256", error="${error.error}"` };
      if (requireNonce) headers['dpop-nonce'] = nonce;
      response.writeHead(401, headers).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    ...state,
    get requireNonce() {
      return requireNonce;
    },
    set requireNonce(value: boolean) {
      requireNonce = value;
      nonce = randomUUID();
    },
    get nonce() {
      return nonce;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
