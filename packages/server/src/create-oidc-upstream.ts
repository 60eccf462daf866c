import * as oauth from 'oauth4webapi';
import { ConfigError } from '@tokenward/core';
import type { CryptoKey } from 'jose';
import { createSealedBox, type SealedBox } from './sealed-box.js';

export interface OidcUpstreamOptions {
  /** The provider's issuer URL; its discovery document says everything else. */
  issuer: string;
  clientId: string;
  /** `client_secret_post`. Exactly one of `clientSecret` and `privateKey`. */
  clientSecret?: string;
  /** `private_key_jwt` with this key (and its `kid`, when the provider holds several). */
  privateKey?: CryptoKey | { key: CryptoKey; kid?: string };
  /** Default `'openid'`; add `offline_access` for a provider refresh token. */
  scope?: string;
  /** This app's `{basePath}/callback` as registered at the provider. */
  redirectUri: string;
  /** Where the provider sends the browser after RP-initiated logout. */
  postLogoutRedirectUri?: string;
  /** 32 bytes (base64url or Uint8Array): seals the sign-in cookie and the provider's tokens in the store (JWE dir/A256GCM). */
  encryptionKey: Uint8Array | string;
  /** Plain-http issuers. Default: only loopback ones (development). */
  allowInsecureRequests?: boolean;
  /**
   * A refresh at the provider is abandoned after this long. It also bounds the family's refresh
   * lease across instances: a crashed holder blocks the family for at most this plus 5 s. Default 10,000.
   */
  refreshTimeoutMs?: number;
}

/** What a completed sign-in yields: who (from the validated ID token) and the provider's tokens. */
export interface UpstreamLogin {
  sub: string;
  idTokenClaims: Record<string, unknown>;
  tokens: UpstreamTokens;
}

/** The provider's tokens, as the refresh store keeps them (sealed). */
export interface UpstreamTokens {
  accessToken: string;
  /** Milliseconds since the epoch, by the handler's clock. */
  accessExpiresAt: number;
  /** The access token's whole lifetime in milliseconds: a refresh is due when less than min(60 s, half of it) remains. */
  accessLifetimeMs: number;
  refreshToken?: string;
}

export type UpstreamFailure = 'invalid_state' | 'access_denied' | 'invalid_grant' | 'invalid_id_token' | 'upstream_error';

export interface OidcUpstream {
  readonly box: SealedBox;
  /** How long a provider refresh may take before it is abandoned. */
  readonly refreshTimeoutMs: number;
  /** The provider's authorization URL and the flow's secrets (state, nonce, PKCE verifier) to keep in a cookie. */
  begin(): Promise<{ url: URL; flow: { state: string; nonce: string; verifier: string } }>;
  /** Validates the callback against the flow, exchanges the code and validates the ID token. */
  finish(callback: URL, flow: { state: string; nonce: string; verifier: string }, now: number): Promise<{ ok: true; login: UpstreamLogin } | { ok: false; error: UpstreamFailure }>;
  /** A refresh-token grant at the provider. `invalid_grant`: the provider ended the session. */
  refresh(tokens: UpstreamTokens, now: number): Promise<{ ok: true; tokens: UpstreamTokens } | { ok: false; error: 'invalid_grant' | 'upstream_error' }>;
  /** Revokes the provider's refresh token where the provider supports revocation. Resolves whether it did. */
  revoke(tokens: UpstreamTokens): Promise<boolean>;
  /** RP-initiated logout at the provider, when it offers it (no `id_token_hint`: no token ever goes in a URL). */
  endSessionUrl(): Promise<string | undefined>;
}

/**
 * An OpenID provider behind `createAuthHandler`'s `upstream` option (the backend-for-frontend
 * pattern): authorization code with PKCE S256, `state` and `nonce`, ID token validation, all by
 * `oauth4webapi`. The provider's tokens never reach the page.
 *
 * @example
 * const upstream = createOidcUpstream({
 *   issuer: 'https://id.example.com', clientId: 'app', clientSecret: process.env.OIDC_SECRET,
 *   redirectUri: 'https://app.example.com/auth/callback', encryptionKey: process.env.TOKENWARD_KEY!,
 * });
 */
export function createOidcUpstream(options: OidcUpstreamOptions): OidcUpstream {
  for (const name of ['issuer', 'clientId', 'redirectUri'] as const) {
    if (typeof options?.[name] !== 'string' || options[name] === '') throw new ConfigError(`createOidcUpstream: \`${name}\` must be a non-empty string`);
  }
  if ((options.clientSecret === undefined) === (options.privateKey === undefined)) throw new ConfigError('createOidcUpstream: pass exactly one of `clientSecret` and `privateKey`');
  let box: SealedBox;
  try {
    box = createSealedBox(options.encryptionKey);
  } catch (cause) {
    throw new ConfigError(`createOidcUpstream: \`encryptionKey\` ${(cause as Error).message.replace(/^the encryption key /, '')}`);
  }
  const refreshTimeoutMs = options.refreshTimeoutMs ?? 10_000;
  if (!Number.isInteger(refreshTimeoutMs) || refreshTimeoutMs <= 0) throw new ConfigError('createOidcUpstream: `refreshTimeoutMs` must be a positive integer');
  const issuer = new URL(options.issuer);
  const insecure = options.allowInsecureRequests ?? /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(issuer.hostname);
  const client: oauth.Client = { client_id: options.clientId };
  const auth = options.clientSecret !== undefined ? oauth.ClientSecretPost(options.clientSecret) : oauth.PrivateKeyJwt(options.privateKey!);
  const http = { [oauth.allowInsecureRequests]: insecure };
  let discovered: Promise<oauth.AuthorizationServer> | undefined;

  function server(): Promise<oauth.AuthorizationServer> {
    discovered ??= oauth
      .discoveryRequest(issuer, { algorithm: 'oidc', ...http })
      .then((response) => oauth.processDiscoveryResponse(issuer, response))
      .catch((cause: unknown) => {
        discovered = undefined; // the next sign-in tries again
        throw cause;
      });
    return discovered;
  }

  return {
    box,
    refreshTimeoutMs,
    async begin() {
      const as = await server();
      const flow = { state: oauth.generateRandomState(), nonce: oauth.generateRandomNonce(), verifier: oauth.generateRandomCodeVerifier() };
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: options.clientId,
        response_type: 'code',
        redirect_uri: options.redirectUri,
        scope: options.scope ?? 'openid',
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await oauth.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: 'S256',
      }).toString();
      return { url, flow };
    },
    async finish(callback, flow, now) {
      const as = await server();
      let params: URLSearchParams;
      try {
        params = oauth.validateAuthResponse(as, client, callback, flow.state);
      } catch (cause) {
        return { ok: false, error: cause instanceof oauth.AuthorizationResponseError ? 'access_denied' : 'invalid_state' };
      }
      try {
        const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, options.redirectUri, flow.verifier, http);
        const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: flow.nonce, requireIdToken: true });
        const claims = oauth.getValidatedIdTokenClaims(result)!;
        return { ok: true, login: { sub: claims.sub, idTokenClaims: { ...claims }, tokens: toTokens(result, undefined, now) } };
      } catch (cause) {
        if (cause instanceof oauth.ResponseBodyError) return { ok: false, error: cause.error === 'invalid_grant' ? 'invalid_grant' : 'upstream_error' };
        if (cause instanceof oauth.OperationProcessingError) return { ok: false, error: 'invalid_id_token' };
        throw cause;
      }
    },
    async refresh(tokens, now) {
      const as = await server();
      try {
        const signal = AbortSignal.timeout(refreshTimeoutMs);
        const response = await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refreshToken!, { ...http, signal });
        return { ok: true, tokens: toTokens(await oauth.processRefreshTokenResponse(as, client, response), tokens, now) };
      } catch (cause) {
        if (cause instanceof oauth.ResponseBodyError && cause.error === 'invalid_grant') return { ok: false, error: 'invalid_grant' };
        return { ok: false, error: 'upstream_error' };
      }
    },
    async revoke(tokens) {
      const as = await server();
      if (!tokens.refreshToken || !as.revocation_endpoint) return false;
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.refreshToken, http));
      return true;
    },
    async endSessionUrl() {
      const as = await server();
      if (!as.end_session_endpoint) return undefined;
      const url = new URL(as.end_session_endpoint);
      url.searchParams.set('client_id', options.clientId);
      if (options.postLogoutRedirectUri) url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectUri);
      return url.href;
    },
  };
}

function toTokens(result: oauth.TokenEndpointResponse, previous: UpstreamTokens | undefined, now: number): UpstreamTokens {
  const lifetime = (result.expires_in ?? 300) * 1000;
  return {
    accessToken: result.access_token,
    accessExpiresAt: now + lifetime,
    accessLifetimeMs: lifetime,
    // A provider that does not rotate sends none: the one we hold stays valid.
    refreshToken: result.refresh_token ?? previous?.refreshToken,
  };
}
