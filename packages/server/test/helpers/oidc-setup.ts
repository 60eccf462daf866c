// A real OpenID provider (oidc-provider, dev interactions) and an app serving createAuthHandler
// with an upstream, both on 127.0.0.1, and a cookie-keeping client that signs in through them.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { onTestFinished } from 'vitest';
import { createAuthHandler, createOidcUpstream, toNodeHandler, type AuthEvent, type AuthHandler, type AuthHandlerOptions } from '../../src/index.js';
import { CookieJar } from './cookie-jar.js';

export const CLIENT_ID = 'bff-app';
export const CLIENT_SECRET = 'a-secret-long-enough-for-the-provider-0123456789';
export const ENCRYPTION_KEY = new Uint8Array(32).fill(7);

export interface OidcSetup {
  provider: Provider;
  issuer: string;
  app: string;
  auth: AuthHandler;
  events: AuthEvent[];
  /** Requests to the provider's token and revocation endpoints. */
  counts: { token: number; revocation: number };
  /** Refresh tokens the provider issued, by jti. */
  refreshTokens: string[];
  /** A browser profile for this app, or for another app origin. */
  browser(app?: string): OidcBrowser;
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface OidcSetupOptions extends Partial<AuthHandlerOptions> {
  scope?: string;
  /** The provider's access-token lifetime in seconds. Default 600. */
  providerAccessTtl?: number;
  /** Answers the app's other paths (a page, an API). Default 404. */
  serve?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Registers this origin's callback at the provider too (an app the test serves itself). */
  redirectOrigin?: string;
  /** The provider rotates its refresh token on every refresh (a consumed one coming back revokes the grant). Default: its own rule. */
  rotateRefreshToken?: boolean;
}

export async function oidcSetup({ providerAccessTtl, scope, serve, redirectOrigin, rotateRefreshToken, ...options }: OidcSetupOptions = {}): Promise<OidcSetup> {
  const providerServer = createServer();
  const appServer = createServer();
  const [issuer, app] = await Promise.all([listen(providerServer), listen(appServer)]);
  const signing = await generateKeyPair('ES256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [`${app}/auth/callback`, ...(redirectOrigin ? [`${redirectOrigin}/auth/callback`] : [])],
        post_logout_redirect_uris: [`${app}/`],
        id_token_signed_response_alg: 'ES256',
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(signing.privateKey)), kid: 'op', alg: 'ES256', use: 'sig' }] },
    cookies: { keys: ['a-cookie-key-for-the-test-provider'] },
    pkce: { required: () => true },
    issueRefreshToken: async () => true,
    ...(rotateRefreshToken === undefined ? {} : { rotateRefreshToken }),
    ttl: { AccessToken: providerAccessTtl ?? 600, RefreshToken: 86_400, IdToken: 600, Interaction: 600, Session: 3600, Grant: 86_400 },
    features: { devInteractions: { enabled: true }, revocation: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  });
  const state: Omit<OidcSetup, 'auth' | 'browser'> = { provider, issuer, app, events: [], counts: { token: 0, revocation: 0 }, refreshTokens: [] };
  provider.use(async (ctx, next) => {
    if (ctx.method === 'POST' && ctx.path === '/token') state.counts.token += 1;
    if (ctx.method === 'POST' && ctx.path === '/token/revocation') state.counts.revocation += 1;
    await next();
  });
  provider.on('refresh_token.saved', (token: { jti: string }) => state.refreshTokens.push(token.jti));
  providerServer.on('request', provider.callback());

  const auth = createAuthHandler({
    issuer: app,
    audience: `${app}/api`,
    rateLimit: false,
    logger: { warn: () => undefined, error: () => undefined },
    onEvent: (event) => state.events.push(event),
    upstream: createOidcUpstream({
      issuer,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      scope: scope ?? 'openid offline_access',
      redirectUri: `${app}/auth/callback`,
      postLogoutRedirectUri: `${app}/`,
      encryptionKey: ENCRYPTION_KEY,
    }),
    ...options,
  });
  onTestFinished(() => auth.close());
  const handler = toNodeHandler(auth);
  appServer.on('request', (req, res) => handler(req, res, serve && (() => serve(req, res))));
  return { ...state, auth, browser: (other = state.app) => new OidcBrowser(other) };
}

/** One browser profile over real HTTP: one jar (cookies ignore ports), redirects followed by hand. */
export class OidcBrowser {
  readonly jar = new CookieJar();
  constructor(readonly app: string) {}

  async request(url: string, init: RequestInit & { csrf?: boolean } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    if (init.csrf) headers.set('x-tokenward-csrf', this.jar.get('tw_csrf') ?? 'x');
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.jar.store(response);
    return response;
  }

  /** Follows redirects from `url`, submitting the provider's login and consent forms, until it reaches the app's callback (not requested). */
  async authorize(url: string, login = 'alice'): Promise<URL> {
    let next = new URL(url);
    for (let step = 0; step < 12; step++) {
      if (next.pathname === '/auth/callback' && next.origin === this.app) return next;
      const response = await this.request(next.href);
      if (response.status >= 300 && response.status < 400) {
        next = new URL(response.headers.get('location')!, next);
        continue;
      }
      const html = await response.text();
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      if (response.status !== 200 || !prompt) throw new Error(`unexpected answer ${response.status} at ${next.pathname}`);
      const body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
      const submitted = await this.request(next.href, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      next = new URL(submitted.headers.get('location')!, next);
    }
    throw new Error('too many redirects');
  }

  /** `GET /auth/login`, through the provider, up to the callback URL it redirects back to. */
  async startLogin(query = ''): Promise<URL> {
    const login = await this.request(`${this.app}/auth/login${query}`);
    if (login.status !== 302) throw new Error(`login answered ${login.status}`);
    return this.authorize(login.headers.get('location')!);
  }

  /** The whole sign-in: the callback's response. */
  async signIn(query = ''): Promise<Response> {
    return this.request((await this.startLogin(query)).href);
  }
}
