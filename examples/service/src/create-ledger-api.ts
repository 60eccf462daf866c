// The second service: a tiny API that accepts only access tokens it can verify against the issuer's JWKS.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';

export interface LedgerApiOptions {
  issuer: string;
  jwksUri: string;
  audience: string;
}

export interface LedgerApi {
  url: string;
  counts: { ok: number; unauthorized: number };
  close(): Promise<void>;
}

/**
 * Starts the API on 127.0.0.1 on a free port. `GET /balance` answers 200 to a valid token for its
 * audience, 401 otherwise.
 * @example
 * const ledger = await createLedgerApi({ issuer: issuer.url, jwksUri: issuer.jwksUri, audience });
 */
export async function createLedgerApi({ issuer, jwksUri, audience }: LedgerApiOptions): Promise<LedgerApi> {
  const jwks = createRemoteJWKSet(new URL(jwksUri));
  const counts = { ok: 0, unauthorized: 0 };
  const server = createServer(async (request, response) => {
    const token = /^Bearer ([\w.~+/-]+=*)$/.exec(request.headers.authorization ?? '')?.[1];
    try {
      if (!token) throw new Error('no token');
      const { payload } = await jwtVerify(token, jwks, { issuer, audience, clockTolerance: 2 });
      counts.ok += 1;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ client: payload.client_id, balance: 1200 }));
    } catch {
      counts.unauthorized += 1;
      response.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
