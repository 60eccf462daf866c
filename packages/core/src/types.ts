import type { TokenwardError } from './errors.js';

/** Where a session stands. See the state diagram in the README. */
export type SessionStatus = 'unknown' | 'anonymous' | 'active' | 'refreshing' | 'backoff' | 'expired';

/** What a refresher (or `signIn`) hands over. Times are milliseconds unless named `*In` (seconds). */
export interface TokenResponse {
  /** Absent in cookie mode, where the access token lives in an HttpOnly cookie. */
  accessToken?: string;
  /** Lifetime in seconds, counted from when the refresh request was sent. Preferred over a JWT `exp`. */
  expiresIn?: number;
  /** Absolute expiry on the local clock (epoch ms), for tokens minted locally. */
  expiresAt?: number;
  refreshToken?: string;
  scope?: string;
  tokenType?: string;
  /** The server's `Date` header (epoch ms), used to correct a JWT `exp` for clock skew. */
  serverDate?: number;
}

/** A token the session holds. Immutable; a refresh produces a new one with a new `id`. */
export interface TokenSet {
  readonly id: number;
  readonly accessToken?: string;
  readonly tokenType: string;
  /** Expiry on the local clock (epoch ms). */
  readonly expiresAt: number;
  /** When the request that produced it was sent, on the local clock (epoch ms). */
  readonly obtainedAt: number;
  readonly refreshToken?: string;
  readonly scope?: string;
}

/**
 * What a session shares with its peers (other tabs): a token without the refresh token and without
 * the local `id`, so no coordinator, custom or not, is ever handed either.
 */
export interface SharedToken {
  readonly accessToken?: string;
  readonly tokenType: string;
  readonly expiresAt: number;
  readonly obtainedAt: number;
  readonly scope?: string;
}

/** Why a refresh started. */
export type RefreshReason = 'boot' | 'scheduled' | 'demand' | 'unauthorized' | 'manual' | 'retry';

/** Passed to the refresher. `signal` aborts on timeout, sign-out and dispose. */
export interface RefreshContext {
  reason: RefreshReason;
  signal: AbortSignal;
  current: TokenSet | undefined;
  attempt: number;
}

/** Obtains a new token. Throws (any value) on failure; `classifyError` decides whether that is terminal. */
export type Refresher = (context: RefreshContext) => Promise<TokenResponse>;

/** How a failure is treated: retry later, or give the session up. */
export type FailureKind = 'transient' | 'terminal';

export interface RefreshPolicy {
  /** Refresh at least this long before expiry. Default 30 s, capped at half the token's lifetime. */
  leadMs: number;
  /** ...or this fraction of the lifetime, whichever is larger. Default 0.1. */
  leadFraction: number;
  /** Up to this fraction of the lead is taken off at random, so peers do not refresh in step. Default 0.2. */
  jitterFraction: number;
  /** First backoff delay ceiling after a transient failure; doubles per failure (full jitter). Default 1 s. */
  backoffMs: number;
  /** Backoff ceiling. Default 60 s. */
  maxBackoffMs: number;
  /** A refresh that takes longer fails as transient. Default 10 s. */
  timeoutMs: number;
}

/** Time, as a port, so tests can drive it. Timers the default clock creates never keep a process alive. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Whether an event started in this tab or reached it from another. */
export type EventOrigin = 'local' | 'peer';

/** Payloads of the events a session emits, by name. */
export interface SessionEvents {
  'signed-in': { origin: EventOrigin };
  refreshed: { reason: RefreshReason; origin: EventOrigin; expiresAt: number };
  'refresh-failed': { error: TokenwardError; attempt: number; terminal: boolean; retryAt: number | undefined };
  'session-expired': { reason: string; error: TokenwardError | undefined; origin: EventOrigin };
  'signed-out': { origin: EventOrigin };
  status: { from: SessionStatus; to: SessionStatus };
}
export type SessionEventName = keyof SessionEvents;

/** What `getSnapshot()` returns: enough to render, nothing secret. */
export interface SessionSnapshot {
  status: SessionStatus;
  expiresAt: number | undefined;
  refreshAt: number | undefined;
  retryAt: number | undefined;
  error: TokenwardError | undefined;
}

/** What one session tells its peers (other tabs). */
export type PeerAnnouncement =
  | { type: 'tokens'; token: SharedToken; signedIn: boolean }
  | { type: 'signed-out' }
  | { type: 'session-expired'; reason: string };

/**
 * The port through which sessions of one user agent coordinate (cross-tab in the browser).
 * The core never waits on it for anything but the refresh it hands over.
 */
export interface Coordinator {
  /** Runs `run` or joins (adopts) the one refresh all peers share; resolves with the response to adopt. */
  refresh(run: () => Promise<TokenResponse>, context: RefreshContext): Promise<TokenResponse>;
  /** Tells the peers; never echoes back to this session. */
  announce(message: PeerAnnouncement): void;
  /** Receives what peers announce. Returns the unsubscribe. */
  subscribe(listener: (message: PeerAnnouncement) => void): () => void;
}

/** Signals from the environment: the page woke up, the network came back or went away. */
export type LifecycleSignal = 'wake' | 'online' | 'offline';

/** The port for page lifecycle. Listeners attach on subscribe and detach on its cleanup. */
export interface Lifecycle {
  subscribe(listener: (signal: LifecycleSignal) => void): () => void;
  isOnline(): boolean;
}

export interface SessionOptions {
  /** Obtains a new token: a refresh-token grant, a cookie refresh, client credentials, a local mint. */
  refresh: Refresher;
  /** Tokens to start with; without them the session starts `unknown` and refreshes on first demand. */
  tokens?: TokenResponse;
  policy?: Partial<RefreshPolicy>;
  /**
   * Start signed out: no session is known to exist (the browser adapter sets it when the server's
   * session-hint cookie is absent), so nothing is refreshed until `signIn()` or `refresh()`.
   */
  anonymous?: boolean;
  clock?: Clock;
  /** Overrides the default classification (401 or `invalid_grant` is terminal, the rest transient). */
  classifyError?: (error: unknown) => FailureKind | undefined;
  coordinator?: Coordinator;
  /** The access token lives in an HttpOnly cookie, never in script: a peer's token that carries one is ignored. */
  cookieMode?: boolean;
  lifecycle?: Lifecycle;
  /** Called when a listener throws. Default: `console.error`. */
  onListenerError?: (error: unknown) => void;
  /** Random numbers in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
}

export interface GetTokenOptions {
  signal?: AbortSignal;
  /** The token must stay valid at least this long, or the caller waits for a refresh. Default 0. */
  minValidityMs?: number;
}

/** A token's life, taken care of. Created by `createSession`. */
export interface Session {
  /** Resolves with a valid access token, refreshing first only when no valid one exists. */
  getAccessToken(options?: GetTokenOptions): Promise<string>;
  /** Like `getAccessToken`, with the token's metadata; what wrappers use. */
  getTokenSet(options?: GetTokenOptions): Promise<TokenSet>;
  /** Starts a refresh now (or joins the one in flight) and resolves with the new access token. */
  refresh(): Promise<string>;
  /** Adopts tokens from a sign-in. */
  signIn(tokens: TokenResponse): void;
  /** Forgets the session here and in every peer. */
  signOut(): void;
  /** Reports that `token` was refused (a 401). Forces a refresh only if it is still the current token. */
  invalidate(token: string | TokenSet): void;
  /** The same object until one of its fields changes: safe for React's `useSyncExternalStore`. */
  getSnapshot(): SessionSnapshot;
  /** Calls `listener` (asynchronously) after every snapshot change, a peer tab's token included. Returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  /**
   * The current access token's claims, decoded WITHOUT verification: for display and for hiding UI,
   * never for an access decision (the API decides). Undefined for an opaque token, in cookie mode and
   * without a token. The same object until the token changes.
   */
  getClaims(): JwtClaims | undefined;
  /** Subscribes to an event; listeners run asynchronously. Returns the unsubscribe. */
  on<E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void): () => void;
  /** Stops timers, aborts the refresh in flight, rejects waiters with `ERR_DISPOSED`. */
  dispose(): void;
}

/** A JWT's claims as decoded for display: unverified, so never a basis for a security decision. */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}
