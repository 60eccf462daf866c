// A real OAuth 2.0 authorization server (oidc-provider) on 127.0.0.1, with grant counters and fault injection.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';

export interface TestClientKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  kid: string;
}

/** A canned answer for a token request, instead of the provider's. */
export interface FaultResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
}

/** Decides per token request (numbered from 1) whether to answer it with a fault. */
export type Fault = (request: { number: number; path: string }) => FaultResponse | undefined;

export interface AuthServer {
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
  provider: Provider;
  /** The private_key_jwt client's key. */
  clientKey: TestClientKey;
  counts: { grants: number; grantErrors: number; tokenRequests: number; discovery: number };
  /** Error codes of failed grants, in order. */
  errors: string[];
  /** When each token request arrived (epoch ms). */
  requestTimes: number[];
  /** Every client assertion the token endpoint received, in order. */
  assertions: string[];
  /** Installs a fault for token endpoint requests; `undefined` removes it. */
  fault: Fault | undefined;
  /** Milliseconds added to the `Date` header the server sends (simulates a server clock). */
  dateShiftMs: number;
  /**
   * Where the discovery metadata says the token endpoint is (default `tokenEndpoint`). Set to
   * another path of this server, it serves token requests there and `movedStatus` at `/token`;
   * set to another host, requests go wherever that is.
   */
  tokenEndpointAt: string;
  /** What `/token` answers once the endpoint moved to another path. Default 404. */
  movedStatus: number;
  /** When set, discovery answers this status instead of the metadata. */
  discoveryStatus: number | undefined;
  /** Whether a DPoP proof at the token endpoint must carry a server nonce (RFC 9449 §8). Default false. */
  requireDpopNonce: boolean;
  reset(): void;
  close(): Promise<void>;
}

export interface AuthServerOptions {
  /** Access token lifetime in seconds. Default 60. */
  accessTokenTTL?: number;
  /** The provider's clock tolerance in seconds. Default 5. */
  clockTolerance?: number;
}

export const clientIds = {
  basic: 'svc-basic',
  post: 'svc-post',
  jwt: 'svc-jwt',
} as const;
export const clientSecret = 'a-secret-long-enough-for-the-provider-0123456789';
export const resourceServers = ['https://api.one.test', 'https://api.two.test', 'https://api.three.test'];

export async function createAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const ttl = options.accessTokenTTL ?? 60;
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const signing = await generateKeyPair('ES256', { extractable: true });
  const providerJwk = { ...(await exportJWK(signing.privateKey)), kid: `as-${port}`, alg: 'ES256', use: 'sig' };
  const client = await generateKeyPair('ES256', { extractable: true });
  const clientKid = `client-${port}`;
  const clientKey: TestClientKey = {
    privateKey: client.privateKey,
    publicJwk: { ...(await exportJWK(client.publicKey)), kid: clientKid, alg: 'ES256', use: 'sig' },
    kid: clientKid,
  };

  const common = {
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'read write',
  };
  const provider = new Provider(issuer, {
    clients: [
      { ...common, client_id: clientIds.basic, token_endpoint_auth_method: 'client_secret_basic' },
      { ...common, client_id: clientIds.post, token_endpoint_auth_method: 'client_secret_post' },
      {
        ...common,
        client_id: clientIds.jwt,
        client_secret: undefined,
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [clientKey.publicJwk] },
      },
    ],
    jwks: { keys: [providerJwk] },
    clientDefaults: { id_token_signed_response_alg: 'ES256' },
    clockTolerance: options.clockTolerance ?? 5,
    scopes: ['read', 'write', 'admin'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // DPoP is on by default in oidc-provider 9; a nonce secret lets a test demand nonces.
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => state.requireDpopNonce },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, resource) => {
          if (!resourceServers.includes(resource)) throw new errors.InvalidTarget();
          return {
          scope: 'read write admin',
          audience: resource,
          accessTokenTTL: ttl,
          accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    ttl: { ClientCredentials: ttl },
  });

  const state: AuthServer = {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    jwksUri: `${issuer}/jwks`,
    provider,
    clientKey,
    counts: { grants: 0, grantErrors: 0, tokenRequests: 0, discovery: 0 },
    errors: [],
    requestTimes: [],
    assertions: [],
    fault: undefined,
    dateShiftMs: 0,
    tokenEndpointAt: `${issuer}/token`,
    movedStatus: 404,
    discoveryStatus: undefined,
    requireDpopNonce: false,
    reset() {
      state.counts = { grants: 0, grantErrors: 0, tokenRequests: 0, discovery: 0 };
      state.errors = [];
      state.requestTimes = [];
      state.assertions = [];
      state.dateShiftMs = 0;
      state.fault = undefined;
      state.tokenEndpointAt = state.tokenEndpoint;
      state.movedStatus = 404;
      state.discoveryStatus = undefined;
      state.requireDpopNonce = false;
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };

  provider.on('grant.success', () => {
    state.counts.grants += 1;
  });
  provider.on('grant.error', (_ctx: unknown, error: { error?: string }) => {
    state.counts.grantErrors += 1;
    state.errors.push(error.error ?? 'unknown');
  });
  provider.on('server_error', (_ctx: unknown, error: unknown) => {
    console.error('oidc-provider server_error', error);
  });

  provider.use(async (ctx, next) => {
    if (state.dateShiftMs !== 0) ctx.set('Date', new Date(Date.now() + state.dateShiftMs).toUTCString());
    if (ctx.path.startsWith('/.well-known/')) {
      state.counts.discovery += 1;
      if (state.discoveryStatus !== undefined) {
        ctx.status = state.discoveryStatus;
        ctx.body = 'unavailable';
        return;
      }
      await next();
      if (typeof ctx.body === 'object' && ctx.body !== null) (ctx.body as { token_endpoint?: string }).token_endpoint = state.tokenEndpointAt;
      return;
    }
    const moved = new URL(state.tokenEndpointAt);
    if (moved.origin === issuer && moved.pathname !== '/token') {
      if (ctx.path === '/token') {
        ctx.status = state.movedStatus;
        ctx.body = 'moved';
        return;
      }
      if (ctx.path === moved.pathname) ctx.path = '/token';
    }
    if (ctx.path === '/token' && ctx.method === 'POST') {
      state.counts.tokenRequests += 1;
      state.requestTimes.push(Date.now());
      const fault = state.fault?.({ number: state.counts.tokenRequests, path: ctx.path });
      if (fault) {
        const form = new URLSearchParams(await readBody(ctx.req));
        const assertion = form.get('client_assertion');
        if (assertion) state.assertions.push(assertion);
        if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
        ctx.status = fault.status;
        ctx.set(fault.headers ?? {});
        ctx.body = fault.body ?? '';
        return;
      }
    }
    await next();
  });
  // Recorded after the provider parsed the body: the assertion as the server saw it.
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => recordAssertion(state, ctx));
  provider.on('grant.error', (ctx: KoaContextWithOIDC) => recordAssertion(state, ctx));

  server.on('request', provider.callback());
  return state;
}

async function readBody(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function recordAssertion(state: AuthServer, ctx: KoaContextWithOIDC): void {
  const assertion = ctx.oidc?.params?.client_assertion;
  if (typeof assertion === 'string') state.assertions.push(assertion);
}
