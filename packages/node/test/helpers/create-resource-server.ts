// A resource server that accepts only JWT access tokens it can verify against the issuer's JWKS.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet } from 'jose';

export interface ResourceServer {
  url: string;
  counts: { ok: number; unauthorized: number };
  /** Tokens to answer 401 to, valid or not (a revoked token). */
  refuse: Set<string>;
  /** Each distinct token seen, in order of first use, with its claims' times (epoch s). */
  tokens: Map<string, { iat: number; exp: number; firstSeen: number }>;
  close(): Promise<void>;
}

export interface ResourceServerOptions {
  issuer: string;
  audience: string;
  /** Where the issuer publishes its keys... */
  jwksUri?: string;
  /** ...or the keys themselves (self-signed tokens). */
  jwks?: JSONWebKeySet;
}

export async function createResourceServer(options: ResourceServerOptions): Promise<ResourceServer> {
  const jwks = options.jwks ? createLocalJWKSet(options.jwks) : createRemoteJWKSet(new URL(options.jwksUri!));
  const state = {
    refuse: new Set<string>(),
    counts: { ok: 0, unauthorized: 0 },
    tokens: new Map<string, { iat: number; exp: number; firstSeen: number }>(),
  };
  const server = createServer(async (request, response) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    try {
      if (!token || state.refuse.has(token)) throw new Error('no acceptable token');
      await jwtVerify(token, jwks, { issuer: options.issuer, audience: options.audience });
      if (!state.tokens.has(token)) {
        const { iat = 0, exp = 0 } = decodeJwt(token);
        state.tokens.set(token, { iat, exp, firstSeen: Date.now() });
      }
      state.counts.ok += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    } catch {
      state.counts.unauthorized += 1;
      response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ...state,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
