// The application API. The machine's internals are at @tokenward/core/machine; what only adapters
// need is at @tokenward/core/internal.
export { createSession } from './create-session.js';
export { createAuthFetch } from './create-auth-fetch.js';
export type { AuthFetchOptions } from './create-auth-fetch.js';
export { classifyError } from './classify-error.js';
export { fromOAuthResponse } from './from-oauth-response.js';
export {
  TokenwardError,
  isTokenwardError,
  NotSignedInError,
  SessionExpiredError,
  RefreshFailedError,
  InvalidTokenResponseError,
  InvalidJwtError,
  AbortedError,
  ConfigError,
  DisposedError,
} from './errors.js';
export type { ErrorCode, RefreshFailure, SignOutFailure, TokenwardErrors } from './errors.js';
export type {
  Clock,
  Coordinator,
  EventOrigin,
  FailureKind,
  GetTokenOptions,
  Lifecycle,
  LifecycleSignal,
  PeerAnnouncement,
  RefreshContext,
  RefreshPolicy,
  RefreshReason,
  Refresher,
  Session,
  SessionEventName,
  SessionEvents,
  SessionOptions,
  SessionSnapshot,
  SessionStatus,
  SharedToken,
  JwtClaims,
  TokenResponse,
  TokenSet,
} from './types.js';
