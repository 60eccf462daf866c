import type { TokenwardError } from '../errors.js';
import type { RefreshReason, SessionStatus, TokenSet } from '../types.js';

/** Where a session without a usable token falls back to when a refresh is refused. */
export type Fallback = 'unknown' | 'anonymous' | 'expired';

/** Everything the machine knows. Plain data: the runtime owns timers, promises and listeners. */
export interface MachineState {
  readonly status: SessionStatus;
  /** The current token; kept (even when expired) until a new one, sign-out or expiry replaces it. */
  readonly token: TokenSet | undefined;
  readonly refreshAt: number | undefined;
  readonly retryAt: number | undefined;
  /** Number of the latest refresh started; results for any other number are stale. */
  readonly attempt: number;
  /** Why the refresh in flight started. */
  readonly reason: RefreshReason | undefined;
  /** Consecutive transient failures, for backoff. */
  readonly failures: number;
  readonly error: TokenwardError | undefined;
  readonly fallback: Fallback;
  readonly online: boolean;
}

/** The fields a session without a token (or with a fresh one) starts from. */
export const noToken = {
  token: undefined,
  refreshAt: undefined,
  retryAt: undefined,
  reason: undefined,
  failures: 0,
  error: undefined,
} as const;

/** `anonymous`: the session is known not to exist (no boot refresh); else `unknown`. */
export function initialState(online = true, anonymous = false): MachineState {
  const status = anonymous ? 'anonymous' : 'unknown';
  return { ...noToken, status, attempt: 0, fallback: status, online };
}

/** Whether `token` stays valid for at least `minValidityMs` after `now`. */
export function isValid(token: TokenSet | undefined, now: number, minValidityMs = 0): token is TokenSet {
  return token !== undefined && token.expiresAt - minValidityMs > now;
}

/** When the next refresh falls due: the proactive one, or the retry after a failure. */
export function dueAt(state: MachineState): number | undefined {
  return state.status === 'active' ? state.refreshAt : state.status === 'backoff' ? state.retryAt : undefined;
}

/** When the runtime must wake the machine next, if ever. */
export function wakeAt(state: MachineState): number | undefined {
  // Offline, nothing is refreshed proactively; coming back online re-checks the clock.
  return state.online ? dueAt(state) : undefined;
}

/**
 * Until when a `request` for `minValidityMs` is answered with the token and changes nothing: the
 * token stays valid that long and no refresh is due. Before then the session hands the token over
 * without running the machine (docs/architecture.md, "Where a token may go").
 */
export function tokenServedUntil(state: MachineState, minValidityMs: number): number {
  // Never, without a token; no state without a session (anonymous, expired) holds one.
  return Math.min((state.token?.expiresAt ?? -Infinity) - minValidityMs, dueAt(state) ?? Infinity);
}
