/** Every code a tokenward error can carry. */
export type ErrorCode =
  | 'ERR_NOT_SIGNED_IN'
  | 'ERR_SESSION_EXPIRED'
  | 'ERR_REFRESH_FAILED'
  | 'ERR_INVALID_TOKEN_RESPONSE'
  | 'ERR_INVALID_JWT'
  | 'ERR_ABORTED'
  | 'ERR_CONFIG'
  | 'ERR_DISPOSED'
  /** The server did not confirm a sign-out (the session is signed out locally all the same). */
  | 'ERR_SIGN_OUT_FAILED';

const brand = Symbol.for('tokenward.error');

/**
 * Base of every error tokenward throws. Messages never contain a token.
 * @example
 * try { await session.getAccessToken(); } catch (e) { if (isTokenwardError(e)) console.log(e.code); }
 */
export class TokenwardError<Code extends ErrorCode = ErrorCode> extends Error {
  declare readonly code: Code;
  /** Marks instances across realms and duplicate installs (see `isTokenwardError`). */
  readonly [brand] = true;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // From the code, not the constructor, whose name a minifier may have changed: ERR_NOT_SIGNED_IN -> NotSignedInError.
    this.name = code.slice(3).toLowerCase().replace(/_(\w)/g, (_, c: string) => c.toUpperCase()) + 'Error';
  }
}

/**
 * True for any tokenward error, even one from another copy of the package.
 * @example
 * if (isTokenwardError(error) && error.code === 'ERR_SESSION_EXPIRED') redirectToLogin();
 */
export function isTokenwardError(value: unknown): value is TokenwardErrors {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** No session: never signed in, or signed out. */
export class NotSignedInError extends TokenwardError<'ERR_NOT_SIGNED_IN'> {
  constructor(options?: { cause?: unknown }) {
    super('ERR_NOT_SIGNED_IN', 'Not signed in', options);
  }
}

/** The server refused the refresh: a new sign-in is needed. */
export class SessionExpiredError extends TokenwardError<'ERR_SESSION_EXPIRED'> {
  constructor(options?: { cause?: unknown }) {
    super('ERR_SESSION_EXPIRED', 'Session expired', options);
  }
}

/** What a refresh failure carries, as far as it is known. */
export interface RefreshFailure {
  /** HTTP status of the refresh response, if any. */
  status?: number;
  /** OAuth `error` code from the response body, if any. */
  oauthError?: string;
  /** Delay the server asked for (`Retry-After`), in ms. */
  retryAfterMs?: number;
  /** Set by whoever knows better than the status (a refresher, a transport). */
  kind?: 'transient' | 'terminal';
}

/** A refresh attempt failed. `status`, `oauthError` and `retryAfterMs` say how, when known. */
export class RefreshFailedError extends TokenwardError<'ERR_REFRESH_FAILED'> {
  declare readonly status?: number;
  declare readonly oauthError?: string;
  declare readonly retryAfterMs?: number;
  declare readonly kind?: 'transient' | 'terminal';

  constructor(message: string, failure: RefreshFailure = {}, options?: { cause?: unknown }) {
    super('ERR_REFRESH_FAILED', message, options);
    Object.assign(this, failure);
  }
}

/** The refresher or sign-in produced something that is not a usable token. */
export class InvalidTokenResponseError extends TokenwardError<'ERR_INVALID_TOKEN_RESPONSE'> {
  /** `terminal` for a mistake no retry fixes (a refresher returning a raw OAuth body); else retried. */
  declare readonly kind?: 'transient' | 'terminal';

  constructor(message: string, options?: { cause?: unknown; kind?: 'transient' | 'terminal' }) {
    super('ERR_INVALID_TOKEN_RESPONSE', message, options);
    if (options?.kind) Object.assign(this, { kind: options.kind });
  }
}

/** A string that should have been a JWT is not one (or is over 16 KiB). */
export class InvalidJwtError extends TokenwardError<'ERR_INVALID_JWT'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_JWT', message, options);
  }
}

/** The caller's `AbortSignal` fired while it waited. */
export class AbortedError extends TokenwardError<'ERR_ABORTED'> {
  constructor(options?: { cause?: unknown }) {
    super('ERR_ABORTED', 'Aborted', options);
  }
}

/** The options make no sense; the message says which. */
export class ConfigError extends TokenwardError<'ERR_CONFIG'> {
  constructor(message: string) {
    super('ERR_CONFIG', message);
  }
}

/** The session was disposed. */
export class DisposedError extends TokenwardError<'ERR_DISPOSED'> {
  constructor() {
    super('ERR_DISPOSED', 'Session disposed');
  }
}

/** The server did not confirm a sign-out (the browser adapter's `SignOutFailedError`); signed out locally all the same. */
export interface SignOutFailure extends TokenwardError<'ERR_SIGN_OUT_FAILED'> {
  readonly status?: number;
}

/**
 * Every error tokenward throws, as a union on `code`: `if (isTokenwardError(e) && e.code ===
 * 'ERR_REFRESH_FAILED') e.status` narrows without `instanceof` (which fails across package copies).
 */
export type TokenwardErrors =
  | NotSignedInError
  | SessionExpiredError
  | RefreshFailedError
  | InvalidTokenResponseError
  | InvalidJwtError
  | AbortedError
  | ConfigError
  | DisposedError
  | SignOutFailure;
