import { ConfigError, DisposedError } from '@tokenward/core';
import type { Clock, GetTokenOptions, RefreshPolicy, Session } from '@tokenward/core';
import { createDpopFetch, type DpopKeyPair, type DpopProver } from '@tokenward/core/dpop';
import { createClientAuth, isCryptoKey, readPrivateKey, type ClientAuthMethod, type PrivateKeyInput } from './client-auth.js';
import { createClockOffset } from './clock-offset.js';
import { createKeySession, type KeySessionContext } from './create-key-session.js';
import { checkDpopOption, createDpopKey } from './create-dpop-key.js';
import { createServerResolver } from './discovery.js';
import { observeFetch, type FetchLike } from './observe-fetch.js';
import { createTokenCache, type TokenKey } from './token-cache.js';
import { createMemoryTokenStore, type TokenStore } from './token-store.js';
import { storeIdOf } from './store-id.js';

/**
 * Options of `createClientCredentials`. `scope`, `audience` and `resource` are the defaults of
 * every key; `issuer` or `tokenEndpoint`, and `clientSecret` or `privateKey`, are required.
 * @example
 * const options: ClientCredentialsOptions = {
 *   issuer: 'https://auth.example.com',
 *   clientId: 'billing',
 *   privateKey: process.env.CLIENT_KEY_PEM!, // private_key_jwt
 *   keyId: 'billing-2025',
 *   audience: 'https://ledger.example.com',
 * };
 */
export interface ClientCredentialsOptions extends TokenKey {
  /**
   * The issuer: its metadata is discovered on first use (OpenID Connect, then RFC 8414
   * well-known), again when the token endpoint answers 404 or 410 or cannot be reached, and at
   * most daily otherwise.
   */
  issuer?: string;
  /** The token endpoint, when there is no discovery. With `issuer` too, no discovery is made. */
  tokenEndpoint?: string;
  clientId: string;
  /** For `client_secret_basic` (the default with a secret) and `client_secret_post`. */
  clientSecret?: string;
  /** For `private_key_jwt` (the default with a key): a CryptoKey, KeyObject, private JWK or PKCS#8 PEM. */
  privateKey?: PrivateKeyInput;
  /** The `kid` of `privateKey` (a JWK's own `kid` is used otherwise). */
  keyId?: string;
  /** JWS algorithm of the assertion; inferred from the key when absent. */
  algorithm?: string;
  authMethod?: ClientAuthMethod;
  /**
   * The form parameter that carries `audience`: `audience` (the default; Auth0 and many gateways)
   * or `resource` (RFC 8707 resource indicators: oidc-provider, Keycloak, Entra-style servers).
   */
  audienceParameter?: 'audience' | 'resource';
  /** Refresh-ahead and backoff timing, passed to each session. */
  policy?: Partial<RefreshPolicy>;
  /** Time as a port. Timers of the default clock never keep the process alive. */
  clock?: Clock;
  random?: () => number;
  /** Replaces global `fetch` for the discovery and token requests. */
  fetch?: FetchLike;
  /** Allows `http:` endpoints. Default: only on loopback hosts (127.0.0.1, ::1, localhost). */
  allowInsecureRequests?: boolean;
  /** Lifetime in seconds assumed for a token response with no `expires_in` and no JWT `exp`. Default 300. */
  defaultExpiresIn?: number;
  /** After a terminal refusal, the next demand this much later tries once more. Default 60 s; `Infinity` never. */
  terminalRetryMs?: number;
  /**
   * The most keys with a session at once. A new key beyond it disposes the session of the least
   * recently used one (its holders get `ERR_DISPOSED`; `session(key)` makes a new one). Default 1,000.
   */
  maxKeys?: number;
  /**
   * Where a key's token comes from when this process's copy is missing or due. Default: the
   * in-process cache alone. `createRedisTokenStore` (`@tokenward/redis`) shares one token per key
   * across every process of a fleet. Cached tokens are always served from this process's memory.
   */
  store?: TokenStore;
  /**
   * DPoP (RFC 9449): every token request carries a proof of this key pair, and the tokens the server
   * binds to it (`token_type` DPoP, `cnf.jkt`) are accepted. `true` makes a non-extractable ES256
   * pair of this client's own. Use `dpopFetch` (or `dpopProver()` with the undici interceptor) to
   * send them. Without it, a DPoP token is refused (`ERR_INVALID_TOKEN_RESPONSE`).
   */
  dpop?: boolean | DpopKeyPair;
}

/**
 * Per-call options of the `getAccessToken` shortcut: which token, and how long it must stay valid.
 * @example
 * await tokens.getAccessToken({ scope: 'ledger:read', minValidityMs: 10_000, signal: AbortSignal.timeout(2_000) });
 */
export type ClientTokenOptions = TokenKey & GetTokenOptions;

/**
 * A source of service tokens: one cached `Session` per (scope, audience, resource), at most
 * `maxKeys` of them. A key nobody asked for in one token lifetime stops refreshing ahead.
 * @example
 * const ledger = tokens.session({ audience: 'https://ledger.example.com', scope: 'ledger:write' });
 * const ledgerFetch = createAuthFetch(ledger, { origins: ['https://ledger.example.com'] });
 * process.on('SIGTERM', () => tokens.dispose());
 */
export interface ClientCredentials {
  /** The session for a key; the same object for the same normalized key until it is disposed or evicted. */
  session(key?: TokenKey): Session;
  /** `session(key).getAccessToken(options)`. */
  getAccessToken(options?: ClientTokenOptions): Promise<string>;
  /** The server clock's offset from ours, in ms, as learned from `Date` headers. */
  readonly clockOffsetMs: number;
  /**
   * With `dpop`: a global `fetch` that signs a DPoP proof with this client's key for each request
   * carrying `Authorization: DPoP <token>` (what `createAuthFetch` sends for a DPoP token), and
   * handles `use_dpop_nonce`. Undefined without `dpop`.
   */
  readonly dpopFetch: typeof fetch | undefined;
  /** With `dpop`: the prover of this client's key (for `createAuthInterceptor`'s `dpop`). Rejects with `ERR_CONFIG` without. */
  dpopProver(): Promise<DpopProver>;
  /** Disposes every session: timers cancelled, refreshes in flight aborted. */
  dispose(): void;
}

const loopback = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Creates an OAuth 2.0 client credentials token source.
 * @example
 * const tokens = createClientCredentials({ issuer: 'https://auth.example.com', clientId: 'billing', clientSecret: process.env.CLIENT_SECRET });
 * const token = await tokens.getAccessToken({ audience: 'https://ledger.example.com', scope: 'ledger:write' });
 */
export function createClientCredentials(options: ClientCredentialsOptions): ClientCredentials {
  const { issuer, tokenEndpoint, clientId } = validate(options);
  const now = options.clock ? () => options.clock!.now() : Date.now;
  const offset = createClockOffset();
  const fetch = observeFetch(options.fetch ?? ((url, init) => globalThis.fetch(url, init)), offset, now);
  const allowInsecureRequests = options.allowInsecureRequests ?? isLoopback(tokenEndpoint ?? issuer!);
  const lifetime = new AbortController();
  const resolver = createServerResolver({
    issuer,
    tokenEndpoint,
    fetch,
    allowInsecureRequests,
    signal: lifetime.signal,
    timeoutMs: options.policy?.timeoutMs ?? 10_000,
    now,
  });
  const method = options.authMethod ?? (options.privateKey !== undefined ? 'private_key_jwt' : 'client_secret_basic');
  const auth = createClientAuth({
    method,
    clientSecret: options.clientSecret,
    privateKey: options.privateKey,
    keyId: options.keyId,
    algorithm: options.algorithm,
    serverNow: () => now() + offset.offsetMs,
    // Without discovery the issuer is unknown: the token endpoint URL is the audience RFC 7523 allows.
    audience: issuer === undefined ? tokenEndpoint : undefined,
  });
  // An unusable key fails the first refresh, terminally; keep the rejection from going unhandled.
  auth.catch(() => undefined);
  const client = { client_id: clientId };
  const dpop = options.dpop ? createDpopKey(options.dpop, client) : undefined;
  dpop?.catch(() => undefined);
  const endpoint = tokenEndpoint ?? issuer!;
  const context: KeySessionContext = {
    resolver,
    client,
    auth,
    signsAssertion: method === 'private_key_jwt',
    audienceParameter: options.audienceParameter ?? 'audience',
    fetch,
    offset,
    allowInsecureRequests,
    defaultExpiresIn: options.defaultExpiresIn ?? 300,
    terminalRetryMs: options.terminalRetryMs ?? 60_000,
    policy: options.policy,
    clock: options.clock,
    random: options.random,
    now,
    store: options.store ?? createMemoryTokenStore(),
    dpop,
    storeId: async (key) => storeIdOf(endpoint, clientId, key.id, (await dpop)?.prover.thumbprint),
  };
  const dpopProver = () => dpop?.then((key) => key.prover) ?? Promise.reject(new ConfigError('DPoP is not configured: pass dpop to createClientCredentials'));
  // The prover is made asynchronously; the fetch waits for it on its first request.
  let signing: Promise<typeof globalThis.fetch> | undefined;
  const dpopFetch: typeof globalThis.fetch | undefined =
    dpop &&
    (async (input, init) => {
      signing ??= dpopProver().then((prover) => createDpopFetch(prover));
      return (await signing)(input, init);
    });
  let disposed = false;

  const cache = createTokenCache<Session>(
    (key, touch) => {
      const keySession: Session = createKeySession(key, context, touch, () => cache.delete(key.id, keySession));
      return keySession;
    },
    {
      defaults: { scope: options.scope, audience: options.audience, resource: options.resource },
      maxKeys: options.maxKeys,
      evict: (evicted) => evicted.dispose(),
    },
  );

  const session = (key?: TokenKey): Session => {
    if (disposed) throw new DisposedError();
    return cache.get(key);
  };

  return {
    session,
    getAccessToken(tokenOptions) {
      if (disposed) return Promise.reject(new DisposedError());
      return cache.get(tokenOptions).getAccessToken(tokenOptions);
    },
    get clockOffsetMs() {
      return offset.offsetMs;
    },
    dpopFetch,
    dpopProver,
    dispose() {
      if (disposed) return;
      disposed = true;
      lifetime.abort(new DisposedError());
      for (const keySession of cache.values()) keySession.dispose();
      cache.clear();
    },
  };
}

function validate(options: ClientCredentialsOptions): ClientCredentialsOptions {
  if (!options || typeof options.clientId !== 'string' || options.clientId === '') {
    throw new ConfigError('createClientCredentials needs a clientId');
  }
  if (options.issuer === undefined && options.tokenEndpoint === undefined) {
    throw new ConfigError('createClientCredentials needs an issuer or a tokenEndpoint');
  }
  if (options.maxKeys !== undefined && !(Number.isInteger(options.maxKeys) && options.maxKeys >= 1)) {
    throw new ConfigError('maxKeys must be a positive integer');
  }
  for (const [name, url] of [['issuer', options.issuer], ['tokenEndpoint', options.tokenEndpoint]] as const) {
    if (url === undefined) continue;
    if (!URL.canParse(url)) throw new ConfigError(`Not a URL: ${url}`);
    // Found now, not as a failure of the first token request retried for ever.
    if (new URL(url).protocol === 'http:' && !isLoopback(url) && !options.allowInsecureRequests) {
      throw new ConfigError(`${name} ${url} is not https: pass allowInsecureRequests: true to allow it`);
    }
  }
  const method = options.authMethod ?? (options.privateKey !== undefined ? 'private_key_jwt' : 'client_secret_basic');
  if (method === 'private_key_jwt' ? options.privateKey === undefined : !options.clientSecret) {
    throw new ConfigError(`authMethod ${method} needs a ${method === 'private_key_jwt' ? 'privateKey' : 'clientSecret'}`);
  }
  if (method === 'private_key_jwt' && !isCryptoKey(options.privateKey)) readPrivateKey(options.privateKey!);
  checkDpopOption(options.dpop);
  return options;
}

function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && loopback.has(hostname);
}
