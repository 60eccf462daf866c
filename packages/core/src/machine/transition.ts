import { NotSignedInError, SessionExpiredError, type TokenwardError } from '../errors.js';
import type { EventOrigin, RefreshPolicy, RefreshReason, SessionEvents, SessionStatus, TokenSet } from '../types.js';
import type { Effect, Emission } from './effects.js';
import type { MachineEvent } from './events.js';
import { backoffDelay, refreshAtFor } from './policy.js';
import { isValid, wakeAt, type MachineState } from './state.js';

export type TransitionResult = readonly [MachineState, readonly Effect[]];
type Handler = (state: MachineState, event: MachineEvent, policy: RefreshPolicy) => TransitionResult;

const none: readonly Effect[] = Object.freeze([]);
const useToken: readonly Effect[] = Object.freeze([{ type: 'reply', reply: 'token' }]);
const wait: readonly Effect[] = Object.freeze([{ type: 'reply', reply: 'wait' }]);

/**
 * The token-state machine: the next state and the effects to run, as data. Pure: it reads the time
 * and randomness from the event and runs nothing.
 */
export function transition(state: MachineState, event: MachineEvent, policy: RefreshPolicy): TransitionResult {
  const result = handlers[state.status](state, event, policy);
  const [next, effects] = result;
  const wake = wakeAt(next);
  const statusChanged = next.status !== state.status;
  // A fired timer is gone, so a tick re-arms even when the wake time did not change.
  const reschedule = wake !== wakeAt(state) || event.type === 'tick';
  if (!statusChanged && !reschedule) return result;
  const out: Effect[] = statusChanged ? [emit('status', { from: state.status, to: next.status }), ...effects] : [...effects];
  if (reschedule) out.push({ type: 'schedule', at: wake });
  return [next, out];
}

/** Each state's handling of the events that depend on it; the rest fall through to `shared`. */
const handlers: Record<SessionStatus, Handler> = {
  unknown(state, event, policy) {
    switch (event.type) {
      case 'request':
      case 'refresh':
        return begin(state, 'boot', wait);
    }
    return shared(state, event, policy);
  },

  anonymous(state, event, policy) {
    switch (event.type) {
      case 'request':
        return [state, [reply(new NotSignedInError({ cause: state.error }))]];
      case 'refresh':
        return begin(state, 'manual', wait);
    }
    return shared(state, event, policy);
  },

  expired(state, event, policy) {
    switch (event.type) {
      case 'request':
        return [state, [reply(new SessionExpiredError({ cause: state.error }))]];
      case 'refresh':
        return begin(state, 'manual', wait);
    }
    return shared(state, event, policy);
  },

  active(state, event, policy) {
    switch (event.type) {
      case 'request':
        if (!isValid(state.token, event.now, event.minValidityMs)) return begin(state, 'demand', wait);
        // Stale-while-revalidate: a due refresh runs in the background, the caller keeps the token.
        return event.now >= (state.refreshAt ?? Infinity) ? begin(state, 'scheduled', useToken) : [state, useToken];
      case 'refresh':
        return begin(state, 'manual', wait);
      case 'tick':
        // Proactive only: offline, the next caller's demand (or coming back online) refreshes instead.
        return state.online && event.now >= (state.refreshAt ?? Infinity) ? begin(state, 'scheduled', none) : [state, none];
      case 'invalidate':
        return isCurrent(state, event.tokenId, event.now) ? begin(withTokenRefused(state, event.now), 'unauthorized', none) : [state, none];
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
        return isCurrent(state, event.tokenId, event.now) ? [withTokenRefused(state, event.now), none] : [state, none];
    }
    return shared(state, event, policy);
  },

  backoff(state, event, policy) {
    const due = 'now' in event && event.now >= (state.retryAt ?? Infinity);
    switch (event.type) {
      case 'request':
        if (isValid(state.token, event.now, event.minValidityMs)) return due ? begin(state, 'retry', useToken) : [state, useToken];
        // Without a valid token, callers fail fast until the retry is due: no refresh per call.
        return due ? begin(state, 'retry', wait) : [state, [reply(state.error!)]];
      case 'refresh':
        return due ? begin(state, 'retry', wait) : [state, [reply(state.error!)]];
      case 'tick':
        return state.online && due ? begin(state, 'retry', none) : [state, none];
      case 'invalidate':
        // Honour the backoff: the refused token is dropped, the retry stays where the server asked.
        return isCurrent(state, event.tokenId, event.now) ? [withTokenRefused(state, event.now), none] : [state, none];
    }
    return shared(state, event, policy);
  },
};

/** Events every state treats alike: sign-in, sign-out, connectivity and peers. Stale results end here too. */
function shared(state: MachineState, event: MachineEvent, policy: RefreshPolicy): TransitionResult {
  switch (event.type) {
    case 'sign-in': {
      const [next, effects] = adopt(state, event.token, policy, event.rand, 'local', true);
      const abort: Effect[] = state.status === 'refreshing' ? [{ type: 'abort-refresh' }] : [];
      return [next, [...abort, ...effects, { type: 'announce', message: { type: 'tokens', token: event.token, signedIn: true } }]];
    }
    case 'sign-out':
      return state.status === 'anonymous' ? [state, none] : signOut(state, 'local');
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
      if (state.status === 'anonymous' || state.status === 'expired') {
        return message.type === 'signed-out' && state.status === 'expired' ? signOut(state, 'peer') : [state, none];
      }
      if (message.type === 'signed-out') return signOut(state, 'peer');
      return state.token ? expire(state, 'peer', message.reason, undefined) : lapse(state, new SessionExpiredError());
    }
  }
  return [state, none];
}

function begin(state: MachineState, reason: RefreshReason, answer: readonly Effect[]): TransitionResult {
  const attempt = state.attempt + 1;
  const next: MachineState = { ...state, status: 'refreshing', attempt, reason, retryAt: undefined };
  return [next, [{ type: 'start-refresh', attempt, reason, current: state.token }, ...answer]];
}

function adopt(state: MachineState, token: TokenSet, policy: RefreshPolicy, rand: number, origin: EventOrigin, signedIn: boolean): TransitionResult {
  const next: MachineState = {
    ...state,
    status: 'active',
    token,
    refreshAt: refreshAtFor(token, policy, rand),
    retryAt: undefined,
    reason: undefined,
    failures: 0,
    error: undefined,
  };
  // A token after "no session" is a sign-in; after a boot (`unknown`) or a live session, a refresh.
  const isSignIn = signedIn || (state.token === undefined && state.fallback !== 'unknown');
  const event = isSignIn
    ? emit('signed-in', { origin })
    : emit('refreshed', { reason: state.reason ?? 'scheduled', origin, expiresAt: token.expiresAt });
  return [next, [{ type: 'settle', error: undefined }, event]];
}

function fail(state: MachineState, event: Extract<MachineEvent, { type: 'failed' }>, policy: RefreshPolicy): TransitionResult {
  const terminal = event.kind === 'terminal';
  const retryAt = terminal ? undefined : event.now + backoffDelay(state.failures + 1, policy, event.rand, event.retryAfterMs);
  const failed = emit('refresh-failed', { error: event.error, attempt: event.attempt, terminal, retryAt });
  if (terminal) {
    const [next, effects] = state.token ? expire(state, 'local', reasonOf(event.error), event.error) : lapse(state, event.error);
    return [next, [failed, ...effects]];
  }
  const next: MachineState = { ...state, status: 'backoff', retryAt, reason: undefined, failures: state.failures + 1, error: event.error };
  // Waiters are callers the current token could not serve (or who asked for a refresh): they learn now.
  return [next, [{ type: 'settle', error: event.error }, failed]];
}

/** The server refused the session: terminal until a new sign-in. */
function expire(state: MachineState, origin: EventOrigin, reason: string, error: TokenwardError | undefined): TransitionResult {
  const next: MachineState = { ...cleared(state, 'expired'), error };
  const effects: Effect[] = [
    { type: 'settle', error: new SessionExpiredError({ cause: error }) },
    emit('session-expired', { reason, error, origin }),
  ];
  if (state.status === 'refreshing') effects.unshift({ type: 'abort-refresh' });
  if (origin === 'local') effects.push({ type: 'announce', message: { type: 'session-expired', reason } });
  return [next, effects];
}

/** A refusal with no session to lose: back to the token-less status this session stands in. */
function lapse(state: MachineState, error: TokenwardError): TransitionResult {
  const next: MachineState = { ...cleared(state, state.fallback === 'expired' ? 'expired' : 'anonymous'), error };
  return [next, [{ type: 'settle', error }]];
}

function signOut(state: MachineState, origin: EventOrigin): TransitionResult {
  const effects: Effect[] = [{ type: 'settle', error: new NotSignedInError() }, emit('signed-out', { origin })];
  if (state.status === 'refreshing') effects.unshift({ type: 'abort-refresh' });
  if (origin === 'local') effects.push({ type: 'announce', message: { type: 'signed-out' } });
  return [cleared(state, 'anonymous'), effects];
}

function cleared(state: MachineState, status: 'anonymous' | 'expired'): MachineState {
  return { ...state, status, fallback: status, token: undefined, refreshAt: undefined, retryAt: undefined, reason: undefined, failures: 0, error: undefined };
}

function isCurrent(state: MachineState, tokenId: number, now: number): boolean {
  return state.token?.id === tokenId && isValid(state.token, now);
}

/** The API refused the token: treat it as expired from now on. */
function withTokenRefused(state: MachineState, now: number): MachineState {
  return { ...state, token: { ...state.token!, expiresAt: now } };
}

function reasonOf(error: TokenwardError): string {
  const { oauthError, status } = error as { oauthError?: string; status?: number };
  return oauthError ?? (status ? `http_${status}` : 'refresh_rejected');
}

function reply(error: TokenwardError): Effect {
  return { type: 'reply', reply: error };
}

function emit<E extends keyof SessionEvents>(event: E, payload: SessionEvents[E]): Emission {
  return { type: 'emit', event, payload } as Emission;
}
