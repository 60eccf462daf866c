// An OAuth 2.0 authorization server in this process (oidc-provider): the client credentials grant,
// one client that authenticates with private_key_jwt, and JWT access tokens for one API.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';

export interface IssuerOptions {
  /** Access-token lifetime in seconds. */
  accessTokenTtl: number;
  /** The API (`aud`) tokens are issued for, sent by clients as the RFC 8707 `resource`. */
  audience: string;
  /** Answer every Nth token request 503 `temporarily_unavailable` with `Retry-After: 1`. 0: never. */
  outageEvery?: number;
}

export interface Issuer {
  url: string;
  jwksUri: string;
  clientId: string;
  /** The client's private key; the issuer knows only its public half. */
  clientKey: CryptoKey;
  clientKeyId: string;
  counts: { tokenRequests: number; grants: number; outages: number };
  close(): Promise<void>;
}

/**
 * Starts the issuer on 127.0.0.1 on a free port.
 * @example
 * const issuer = await createIssuer({ accessTokenTtl: 10, audience: 'urn:tokenward:ledger' });
 */
export async function createIssuer({ accessTokenTtl, audience, outageEvery = 0 }: IssuerOptions): Promise<Issuer> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const signing = await generateKeyPair('ES256', { extractable: true });
  const client = await generateKeyPair('ES256', { extractable: true });
  const clientKeyId = 'reports-2025';
  const clientJwk = { ...(await exportJWK(client.publicKey)), kid: clientKeyId, alg: 'ES256', use: 'sig' };
  const signingJwk = { ...(await exportJWK(signing.privateKey)), kid: 'issuer-1', alg: 'ES256', use: 'sig' };
  // oidc-provider warns on import under Node 20 and about its in-memory store: both true, neither the point here.
  const { default: Provider, errors } = await quietly(() => import('oidc-provider'));
  const provider = await quietly(() => new Provider(url, {
    clients: [
      {
        client_id: 'reports',
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'ledger:read',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [clientJwk] },
      },
    ],
    jwks: { keys: [signingJwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    scopes: ['ledger:read'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== audience) throw new errors.InvalidTarget();
          return { scope: 'ledger:read', audience, accessTokenTTL: accessTokenTtl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } };
        },
      },
    },
    ttl: { ClientCredentials: accessTokenTtl },
  }));

  const counts = { tokenRequests: 0, grants: 0, outages: 0 };
  provider.on('grant.success', () => {
    counts.grants += 1;
  });
  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && ctx.method === 'POST') {
      counts.tokenRequests += 1;
      if (outageEvery > 0 && counts.tokenRequests % outageEvery === 0) {
        counts.outages += 1;
        ctx.status = 503;
        ctx.set('Retry-After', '1');
        ctx.body = { error: 'temporarily_unavailable', error_description: 'simulated outage' };
        return;
      }
    }
    await next();
  });
  server.on('request', provider.callback());

  return {
    url,
    jwksUri: `${url}/jwks`,
    clientId: 'reports',
    clientKey: client.privateKey,
    clientKeyId,
    counts,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Runs `create` with oidc-provider's own console warnings filtered out; every other warning still shows. */
async function quietly<T>(create: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('oidc-provider WARNING')) warn(...args);
  };
  try {
    return await create();
  } finally {
    console.warn = warn;
  }
}
