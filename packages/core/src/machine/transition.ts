import { NotSignedInError, SessionExpiredError, type RefreshFailedError, type TokenwardError } from '../errors.js';
import type { EventOrigin, RefreshPolicy, RefreshReason, SessionEvents, SessionStatus, TokenSet } from '../types.js';
import type { Effect, Emission } from './effects.js';
import type { MachineEvent } from './events.js';
import { backoffDelay, refreshAtFor } from './policy.js';
import { isValid, noToken, wakeAt, type MachineState } from './state.js';

export type TransitionResult = readonly [MachineState, readonly Effect[]];
type Handler = (state: MachineState, event: MachineEvent, policy: RefreshPolicy) => TransitionResult;

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
  const result = handlers[state.status](state, event, policy);
  const [next, effects] = result;
  const wake = wakeAt(next);
  const statusChanged = next.status !== state.status;
  // A fired timer is gone, so a tick re-arms even when the wake time did not change.
  const reschedule = wake !== wakeAt(state) || event.type === 'tick';
  if (!statusChanged && !reschedule) return result;
  const out = [...effects];
  if (statusChanged) out.unshift(emit('status', { from: state.status, to: next.status }));
  // A session that ended (signed out, expired) has nothing left to refresh.
  if (state.status === 'refreshing' && !next.token && next.status !== 'backoff') out.unshift({ type: 'abort-refresh' });
  if (reschedule) out.push({ type: 'schedule', at: wake });
  return [next, out];
}

/** Each state's handling of the events that depend on it; the rest fall through to `shared`. */
const handlers: Record<SessionStatus, Handler> = {
  unknown: (state, event, policy) =>
    event.type === 'request' || event.type === 'refresh' ? begin(state, 'boot', wait) : shared(state, event, policy),

  anonymous: withoutSession(NotSignedInError),

  expired: withoutSession(SessionExpiredError),

  active(state, event, policy) {
    const due = 'now' in event && event.now >= state.refreshAt!;
    switch (event.type) {
      case 'request':
        if (!isValid(state.token, event.now, event.minValidityMs)) return begin(state, 'demand', wait);
        // Stale-while-revalidate: a due refresh runs in the background, the caller keeps the token.
        return due ? begin(state, 'scheduled', useToken) : [state, useToken];
      case 'refresh':
        return begin(state, 'manual', wait);
      case 'tick':
        // Proactive only: offline, a caller's demand (or coming back online) refreshes instead.
        return state.online && due ? begin(state, 'scheduled', none) : [state, none];
      case 'invalidate':
        return isCurrent(state, event) ? begin(refused(state, event.now), 'unauthorized', none) : [state, none];
    }
    return shared(state, event, policy);
  },

  refreshing(state, event, policy) {
    switch (event.type) {
      case 'request':
        return [state, isValid(state.token, event.now, event.minValidityMs) ? useToken : wait];
      case 'refresh':
        return [state, wait];
      case 'refreshed':
        return event.attempt === state.attempt ? adopt(state, event.token, policy, event.rand, 'local', false) : [state, none];
      case 'failed':
        return event.attempt === state.attempt ? fail(state, event, policy) : [state, none];
      case 'invalidate':
        // The refresh in flight will replace it; until then callers wait instead of using it.
        return [isCurrent(state, event) ? refused(state, event.now) : state, none];
    }
    return shared(state, event, policy);
  },

  backoff(state, event, policy) {
    const due = 'now' in event && event.now >= state.retryAt!;
    switch (event.type) {
      case 'request':
        if (isValid(state.token, event.now, event.minValidityMs)) return due ? begin(state, 'retry', useToken) : [state, useToken];
      // falls through: without a valid token a caller is a refresh request, and fails fast until the retry is due
      case 'refresh':
        return due ? begin(state, 'retry', wait) : [state, [reply(state.error!)]];
      case 'tick':
        return state.online && due ? begin(state, 'retry', none) : [state, none];
      case 'invalidate':
        // Honour the backoff: the refused token is dropped, the retry stays where the server asked.
        return [isCurrent(state, event) ? refused(state, event.now) : state, none];
    }
    return shared(state, event, policy);
  },
};

/** `anonymous` and `expired`: callers get `NoSession`'s error; only `refresh()` (or a sign-in) starts anew. */
function withoutSession(NoSession: typeof NotSignedInError): Handler {
  return (state, event, policy) =>
    event.type === 'request'
      ? [state, [reply(new NoSession({ cause: state.error }))]]
      : event.type === 'refresh'
        ? begin(state, 'manual', wait)
        : shared(state, event, policy);
}

/** Events every state treats alike: sign-in, sign-out, connectivity and peers. Stale results end here too. */
function shared(state: MachineState, event: MachineEvent, policy: RefreshPolicy): TransitionResult {
  switch (event.type) {
    case 'sign-in': {
      const [next, effects] = adopt(state, event.token, policy, event.rand, 'local', true);
      return [next, [...effects, { type: 'announce', message: { type: 'tokens', token: event.token, signedIn: true } }]];
    }
    case 'sign-out':
      return state.status === 'anonymous' ? [state, none] : end(state, 'anonymous', 'local');
    case 'connectivity': {
      const next = { ...state, online: event.online };
      return event.online ? handlers[next.status](next, { type: 'tick', now: event.now }, policy) : [next, none];
    }
    case 'peer': {
      const { message } = event;
      if (message.type === 'tokens') {
        const newer = !isValid(state.token, event.now) || message.token.expiresAt > state.token.expiresAt;
        return newer ? adopt(state, message.token, policy, event.rand, 'peer', message.signedIn) : [state, none];
      }
      if (message.type === 'signed-out') return state.status === 'anonymous' ? [state, none] : end(state, 'anonymous', 'peer');
      // A peer's refresh was refused: the session (shared through the cookie) is over here too.
      return state.token ? end(state, 'expired', 'peer', message.reason) : [state, none];
    }
  }
  return [state, none];
}

function begin(state: MachineState, reason: RefreshReason, answer: readonly Effect[]): TransitionResult {
  const attempt = state.attempt + 1;
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

function fail(state: MachineState, event: Extract<MachineEvent, { type: 'failed' }>, policy: RefreshPolicy): TransitionResult {
  const { error, attempt, now } = event;
  const terminal = event.kind === 'terminal';
  const retryAt = terminal ? undefined : now + backoffDelay(state.failures + 1, policy, event.rand, event.retryAfterMs);
  const failed = emit('refresh-failed', { error, attempt, terminal, retryAt });
  if (!terminal) {
    // Waiters are callers the current token could not serve (or who asked for a refresh): they learn now.
    return [{ ...state, status: 'backoff', retryAt, reason: undefined, failures: state.failures + 1, error }, [{ type: 'settle', error }, failed]];
  }
  if (!state.token) {
    // A refusal with no session to lose: back to where this session stood without one.
    return [{ ...state, ...noToken, status: state.fallback === 'expired' ? 'expired' : 'anonymous', error }, [{ type: 'settle', error }, failed]];
  }
  const { oauthError, status } = error as RefreshFailedError;
  const [next, effects] = end(state, 'expired', 'local', oauthError ?? (status ? `http_${status}` : 'refused'), error);
  return [next, [failed, ...effects]];
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

function isCurrent(state: MachineState, event: { tokenId: number; now: number }): boolean {
  return state.token?.id === event.tokenId && isValid(state.token, event.now);
}

/** The API refused the token: treat it as expired from now on. */
function refused(state: MachineState, now: number): MachineState {
  return { ...state, token: { ...state.token!, expiresAt: now } };
}

function reply(error: TokenwardError): Effect {
  return { type: 'reply', reply: error };
}

function emit<E extends keyof SessionEvents>(event: E, payload: SessionEvents[E]): Emission {
  return { type: 'emit', event, payload } as Emission;
}
