import { NotSignedInError, SessionExpiredError, type RefreshFailedError, type TokenwardError } from '../errors.js';
import { toSharedToken } from '../to-shared-token.js';
import { MAX_LIFETIME_MS, PEER_SKEW_MS } from '../rules/limits.js';
import { expiryReason } from '../rules/session-ending-errors.js';
import type { EventOrigin, RefreshPolicy, RefreshReason, SessionEvents, SharedToken, TokenSet } from '../types.js';
import type { Effect, Emission } from './effects.js';
import type { MachineEvent } from './events.js';
import { backoffDelay, refreshAtFor } from './policy.js';
import { dueAt, isValid, noToken, tokenServedUntil, wakeAt, type MachineState } from './state.js';

export type TransitionResult = readonly [MachineState, readonly Effect[]];
type Handlers = { [T in MachineEvent['type']]: (state: MachineState, event: Extract<MachineEvent, { type: T }>, policy: RefreshPolicy) => TransitionResult };

const none: readonly Effect[] = [];
const useToken: readonly Effect[] = [{ type: 'reply', reply: 'token' }];
const wait: readonly Effect[] = [{ type: 'reply', reply: 'wait' }];

/**
 * The token-state machine: the next state and the effects to run, as data. Pure: time and
 * randomness come in on the event, and it runs nothing.
 * @example
 * const [next, effects] = transition(initialState(), { type: 'request', now: Date.now(), minValidityMs: 0 }, defaultPolicy);
 */
export function transition(state: MachineState, event: MachineEvent, policy: RefreshPolicy): TransitionResult {
  const result = (handlers[event.type] as (s: MachineState, e: MachineEvent, p: RefreshPolicy) => TransitionResult)(state, event, policy);
  const [next, effects] = result;
  const wake = wakeAt(next);
  const statusChanged = next.status !== state.status;
  // A fired timer is gone, so a tick re-arms even when the wake time did not change.
  const reschedule = wake !== wakeAt(state) || event.type === 'tick';
  if (!statusChanged && !reschedule) return result;
  const out = [...effects];
  if (statusChanged) out.unshift(emit('status', { from: state.status, to: next.status }));
  // A session that ended (signed out, expired) has nothing left to refresh; after a sign-in the
  // refresh in flight is stale, and left running it would overlap the next one (rule 1).
  const ended = next.status === 'anonymous' || next.status === 'expired' || event.type === 'sign-in';
  if (state.status === 'refreshing' && ended) out.unshift({ type: 'abort-refresh' });
  if (reschedule) out.push({ type: 'schedule', at: wake });
  return [next, out];
}

/** How each event is handled, by state: one handler per event, every state's case in it. */
const handlers: Handlers = {
  request(state, { now, minValidityMs }) {
    const { status } = state;
    if (status === 'anonymous') return [state, [reply(new NotSignedInError({ cause: state.error }))]];
    if (status === 'expired') return [state, [reply(new SessionExpiredError({ cause: state.error }))]];
    // The rule the session also applies without running the machine (see tokenServedUntil).
    if (now < tokenServedUntil(state, minValidityMs)) return [state, useToken];
    if (status === 'refreshing') return [state, wait];
    // Stale-while-revalidate: a due refresh runs in the background, the caller keeps the token.
    if (isValid(state.token, now, minValidityMs)) return begin(state, 'scheduled', useToken);
    // In backoff without a valid token, callers fail fast until the retry is due: no refresh per call.
    return status === 'backoff' && !isDue(state, now) ? [state, [reply(state.error!)]] : begin(state, 'demand', wait);
  },

  refresh(state, { now }) {
    if (state.status === 'refreshing') return [state, wait];
    return state.status === 'backoff' && !isDue(state, now) ? [state, [reply(state.error!)]] : begin(state, 'manual', wait);
  },

  // A timer fired or the page woke up. Proactive only: offline, a caller's demand refreshes instead.
  tick: (state, { now }) => (state.online && isDue(state, now) ? begin(state, 'scheduled', none) : [state, none]),

  connectivity(state, event, policy) {
    const next = { ...state, online: event.online };
    if (!event.online) return [next, none];
    // The backoff was waiting out the outage, not the server: back online, retry at once.
    if (state.status === 'backoff' && !state.online) return begin(next, 'retry', none);
    return handlers.tick(next, { type: 'tick', now: event.now }, policy);
  },

  refreshed: (state, event, policy) =>
    isInFlight(state, event.attempt) ? adopt(state, event.token, policy, event.rand, 'local', false) : [state, none],

  failed(state, event, policy) {
    if (!isInFlight(state, event.attempt)) return [state, none];
    const { error, attempt, now } = event;
    const terminal = event.kind === 'terminal';
    const retryAt = terminal ? undefined : now + backoffDelay(state.failures + 1, policy, event.rand, event.retryAfterMs);
    const failed = emit('refresh-failed', { error, attempt, terminal, retryAt });
    // Waiters are callers the current token could not serve (or who asked for a refresh): they learn now.
    if (!terminal) return [{ ...state, status: 'backoff', retryAt, failures: state.failures + 1, error }, [{ type: 'settle', error }, failed]];
    if (!state.token) {
      // A refusal with no session to lose: back to where this session stood without one. When the
      // refusal says there is no session (401, invalid_grant: a page without a refresh cookie), the
      // waiters learn what every later call will, ERR_NOT_SIGNED_IN; anything else (a client that
      // is misconfigured) keeps its own error.
      const status = state.fallback === 'expired' ? 'expired' : 'anonymous';
      const reason = expiryReason(error as RefreshFailedError);
      const reply = status === 'anonymous' && (reason === 'invalid_grant' || reason === 'http_401') ? new NotSignedInError({ cause: error }) : error;
      return [{ ...state, ...noToken, status, error }, [{ type: 'settle', error: reply }, failed]];
    }
    const [next, effects] = end(state, 'expired', 'local', expiryReason(error as RefreshFailedError), error);
    return [next, [failed, ...effects]];
  },

  'sign-in'(state, event, policy) {
    const [next, effects] = adopt(state, event.token, policy, event.rand, 'local', true);
    // What leaves the session is a SharedToken: no refresh token, no local id, whatever the coordinator.
    return [next, [...effects, { type: 'announce', message: { type: 'tokens', token: toSharedToken(event.token), signedIn: true } }]];
  },

  'sign-out': (state) => (state.status === 'anonymous' ? [state, none] : end(state, 'anonymous', 'local')),

  invalidate(state, { tokenId, now }) {
    if (state.token?.id !== tokenId || !isValid(state.token, now)) return [state, none];
    // The API refused the token: expired from now on. An active session refreshes at once; one
    // refreshing already will replace it; one in backoff keeps the retry where the server asked.
    const next = { ...state, token: { ...state.token, expiresAt: now } };
    return state.status === 'active' ? begin(next, 'unauthorized', none) : [next, none];
  },

  peer(state, { message, now, id, cookieMode, rand }, policy) {
    if (message.type === 'tokens') {
      const token = fromPeer(message.token, now, id, cookieMode);
      // A sign-in replaces the session whatever its expiry (another user may have signed in); a
      // refresh result only a token that expires sooner.
      const adopted = token && (message.signedIn || !isValid(state.token, now) || token.expiresAt > state.token.expiresAt);
      return adopted ? adopt(state, token, policy, rand, 'peer', message.signedIn) : [state, none];
    }
    if (message.type === 'signed-out') return state.status === 'anonymous' ? [state, none] : end(state, 'anonymous', 'peer');
    // A peer's refresh was refused: the session (shared through the cookie) is over here too.
    return state.token ? end(state, 'expired', 'peer', message.reason) : [state, none];
  },
};

/**
 * A peer's token as this session may hold it, or undefined: anchored to local time (obtained no later
 * than now plus a small skew, expiring no later than now plus the longest lifetime), and in cookie
 * mode never one that carries an access token (a bearer-mode tab of another app version).
 */
function fromPeer(shared: SharedToken, now: number, id: number, cookieMode: boolean): TokenSet | undefined {
  if (shared.obtainedAt > now + PEER_SKEW_MS || (cookieMode && shared.accessToken !== undefined)) return undefined;
  return { ...toSharedToken(shared), id, expiresAt: Math.min(shared.expiresAt, now + MAX_LIFETIME_MS) };
}

/** Whether a proactive refresh (active) or a retry (backoff) is due. */
function isDue(state: MachineState, now: number): boolean {
  return now >= (dueAt(state) ?? Infinity);
}

function isInFlight(state: MachineState, attempt: number): boolean {
  return state.status === 'refreshing' && attempt === state.attempt;
}

function begin(state: MachineState, reason: RefreshReason, answer: readonly Effect[]): TransitionResult {
  const attempt = state.attempt + 1;
  // A first refresh is the boot; one after a failure is a retry, whoever asked for it.
  reason = state.status === 'unknown' ? 'boot' : state.status === 'backoff' ? 'retry' : reason;
  return [{ ...state, status: 'refreshing', attempt, reason, retryAt: undefined }, [{ type: 'start-refresh', attempt, reason, current: state.token }, ...answer]];
}

function adopt(state: MachineState, token: TokenSet, policy: RefreshPolicy, rand: number, origin: EventOrigin, signedIn: boolean): TransitionResult {
  const next: MachineState = { ...state, ...noToken, status: 'active', token, refreshAt: refreshAtFor(token, policy, rand) };
  // A token after "no session" is a sign-in; after a boot (`unknown`) or a live session, a refresh.
  const event =
    signedIn || (!state.token && state.fallback !== 'unknown')
      ? emit('signed-in', { origin })
      : emit('refreshed', { reason: state.reason ?? 'scheduled', origin, expiresAt: token.expiresAt });
  return [next, [{ type: 'settle', error: undefined }, event]];
}

/** The session ends: signed out, or expired (the server refused it, terminal until a new sign-in). */
function end(state: MachineState, status: 'anonymous' | 'expired', origin: EventOrigin, reason = '', error?: TokenwardError): TransitionResult {
  const expired = status === 'expired';
  const effects: Effect[] = [
    { type: 'settle', error: expired ? new SessionExpiredError({ cause: error }) : new NotSignedInError() },
    expired ? emit('session-expired', { reason, error, origin }) : emit('signed-out', { origin }),
  ];
  if (origin === 'local') effects.push({ type: 'announce', message: expired ? { type: 'session-expired', reason } : { type: 'signed-out' } });
  return [{ ...state, ...noToken, status, fallback: status, error }, effects];
}

function reply(error: TokenwardError): Effect {
  return { type: 'reply', reply: error };
}

function emit<E extends keyof SessionEvents>(event: E, payload: SessionEvents[E]): Emission {
  return { type: 'emit', event, payload } as Emission;
}
