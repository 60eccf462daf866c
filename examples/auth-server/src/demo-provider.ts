import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOidcUpstream, type OidcUpstream } from '@tokenward/server';
import Provider from 'oidc-provider';

export interface DemoProviderOptions {
  /** The demo app's origin: its `/auth/callback` is the one registered redirect URI. */
  appUrl: string;
  /** The provider's access-token lifetime. Default 60 s: a provider refresh every 30 s or so. */
  accessTtlSeconds?: number;
}

export interface DemoProvider {
  /** `http://127.0.0.1:PORT`: the provider's issuer. */
  readonly issuer: string;
  /** `createOidcUpstream` for the demo app, ready for `createAuthServer({ upstream })`. */
  readonly upstream: OidcUpstream;
  /** Requests its token endpoint (code exchanges and refreshes) and revocation endpoint answered. */
  readonly counts: { token: number; revocation: number };
  close(): Promise<void>;
}

/**
 * The demo's own OpenID provider: a real `oidc-provider` on 127.0.0.1 (a free port), with its
 * development login and consent pages, one confidential client for the demo app, refresh tokens
 * that rotate, revocation and RP-initiated logout. Keys and secrets are made at start; nothing
 * leaves the machine. Any login name signs in as that user (the development login takes any
 * password); `demo` is the demo account. Not a production setup.
 *
 * @example
 * const provider = await startDemoProvider({ appUrl: 'http://127.0.0.1:3000' });
 * const server = createAuthServer({ upstream: provider.upstream });
 */
export async function startDemoProvider({ appUrl, accessTtlSeconds = 60 }: DemoProviderOptions): Promise<DemoProvider> {
  const http = createServer();
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const clientSecret = randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'tokenward-demo',
        client_secret: clientSecret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${appUrl}/auth/callback`],
        post_logout_redirect_uris: [`${appUrl}/`],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'demo', alg: 'ES256', use: 'sig' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    // A refresh token for the BFF (without asking for consent to offline_access), rotated on every use.
    issueRefreshToken: async () => true,
    rotateRefreshToken: true,
    ttl: { AccessToken: accessTtlSeconds, RefreshToken: 86_400, IdToken: 600, Interaction: 600, Session: 86_400, Grant: 86_400 },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  });
  const counts = { token: 0, revocation: 0 };
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token') counts.token += 1;
    if (ctx.method === 'POST' && ctx.path === '/token/revocation') counts.revocation += 1;
    await next();
  });
  http.on('request', provider.callback());
  const upstream = createOidcUpstream({
    issuer,
    clientId: 'tokenward-demo',
    clientSecret,
    scope: 'openid offline_access',
    redirectUri: `${appUrl}/auth/callback`,
    postLogoutRedirectUri: `${appUrl}/`,
    encryptionKey: randomBytes(32),
  });
  return {
    issuer,
    upstream,
    counts,
    async close() {
      http.closeAllConnections();
      http.close();
      await once(http, 'close');
    },
  };
}
