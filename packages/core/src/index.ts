export { createSession } from './create-session.js';
export { createAuthFetch } from './create-auth-fetch.js';
export type { AuthFetchOptions } from './create-auth-fetch.js';
export { classifyError } from './classify-error.js';
export { readJwtTimes } from './read-jwt-times.js';
export { toTokenSet } from './to-token-set.js';
export { toSharedToken } from './to-shared-token.js';
export { fromOAuthResponse } from './from-oauth-response.js';
export { systemClock } from './system-clock.js';
export { transition } from './machine/transition.js';
export { initialState } from './machine/state.js';
export { defaultPolicy } from './machine/policy.js';
export type { MachineState } from './machine/state.js';
export type { MachineEvent } from './machine/events.js';
export type { Effect } from './machine/effects.js';
export type { TransitionResult } from './machine/transition.js';
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
  TokenResponse,
  TokenSet,
} from './types.js';
