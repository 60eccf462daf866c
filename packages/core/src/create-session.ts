import { classifyError } from './classify-error.js';
import { createEmitter } from './create-emitter.js';
import { AbortedError, ConfigError, DisposedError, RefreshFailedError, isTokenwardError, type TokenwardError } from './errors.js';
import type { Effect } from './machine/effects.js';
import type { MachineEvent } from './machine/events.js';
import { defaultPolicy } from './machine/policy.js';
import { initialState, tokenServedUntil, type MachineState } from './machine/state.js';
import { transition } from './machine/transition.js';
import { systemClock } from './system-clock.js';
import { toTokenSet } from './to-token-set.js';
import { TOKEN_READERS, type TokenNow } from './token-now.js';
import { decodeJwtClaims } from './read-jwt-times.js';
import type { GetTokenOptions, JwtClaims, PeerAnnouncement, RefreshPolicy, Session, SessionOptions, SessionSnapshot, TokenSet } from './types.js';

const accessTokenOf = (token: TokenSet) => token.accessToken ?? '';

/** The emitter's name for snapshot changes: not a public event. */
const CHANGE = 'change' as 'status';

/** setTimeout's ceiling; longer waits re-check the clock when they fire. */
const MAX_DELAY = 2 ** 31 - 1;

type Reply = Extract<Effect, { type: 'reply' }>['reply'];

/** One promise all waiting callers share until the machine settles them. */
interface Pending {
  promise: Promise<TokenSet>;
  resolve(token: TokenSet): void;
  reject(error: TokenwardError): void;
}

/**
 * Creates a session: the token-state machine plus the small runtime that runs its effects (timers,
 * refresh calls, events, peers).
 * @example
 * const session = createSession({ refresh: async () => ({ accessToken, expiresIn: 300 }) });
 * session.on('session-expired', ({ reason }) => showSignIn(reason));
 * const token = await session.getAccessToken();
 */
export function createSession(options: SessionOptions): Session {
  if (typeof options?.refresh !== 'function') throw new ConfigError('`refresh` is required');
  const { clock = systemClock, random = Math.random, coordinator, lifecycle } = options;
  const policy = resolvePolicy(options.policy);
  const emitter = createEmitter(options.onListenerError ?? ((error) => console.error('[tokenward] listener threw', error)));
  let pending: Pending | undefined;
  let state = initialState(lifecycle?.isOnline() ?? true, options.anonymous);
  let serial = 0;
  let timer: unknown;
  let inflight: AbortController | undefined;
  let disposed = false;
  let snapshot = snapshotOf(state);
  let claims: JwtClaims | undefined;
  let claimsOf: string | undefined;

  function dispatch(event: MachineEvent): Reply | undefined {
    if (disposed) return undefined;
    const [next, effects] = transition(state, event, policy);
    const changed = next !== state;
    state = next;
    let answer: Reply | undefined;
    for (const effect of effects) {
      switch (effect.type) {
        case 'reply': answer = effect.reply; break;
        case 'schedule': schedule(effect.at); break;
        case 'start-refresh': startRefresh(effect); break;
        case 'abort-refresh': inflight?.abort(); inflight = undefined; break;
        case 'settle': settle(effect.error); break;
        case 'emit': emitter.emit(effect.event, effect.payload as never); break;
        case 'announce': coordinator?.announce(effect.message); break;
      }
    }
    if (changed) publish();
    return answer;
  }

  /** A new snapshot object only when a field changed, so `useSyncExternalStore` sees a stable value. */
  function publish(): void {
    const next = snapshotOf(state);
    let key: keyof SessionSnapshot;
    for (key in next) {
      if (next[key] !== snapshot[key]) {
        snapshot = next;
        // Subscribers are events without a payload: asynchronous, never inside the machine.
        return emitter.emit(CHANGE, undefined as never);
      }
    }
  }

  function schedule(at: number | undefined): void {
    clock.clearTimeout(timer);
    timer = at === undefined ? undefined : clock.setTimeout(() => dispatch({ type: 'tick', now: clock.now() }), Math.min(Math.max(0, at - clock.now()), MAX_DELAY));
  }

  function startRefresh({ attempt, reason, current }: Extract<Effect, { type: 'start-refresh' }>): void {
    const controller = new AbortController();
    inflight = controller;
    const { signal } = controller;
    const sentAt = clock.now();
    emitter.emit('refresh-started', { reason, attempt });
    const context = { reason, signal, current, attempt };
    const timeout = clock.setTimeout(() => controller.abort(new RefreshFailedError('Refresh timed out', { kind: 'transient' })), policy.timeoutMs);
    // The refresher runs on a later tick: user code never runs inside `dispatch`.
    const run = () => options.refresh(context);
    const refreshed = Promise.resolve().then(() => (coordinator ? coordinator.refresh(run, context) : run()));
    raceAbort(refreshed, signal, () => signal.reason)
      .then((response) => toTokenSet(response, sentAt, ++serial))
      .then(
        (token) => void dispatch({ type: 'refreshed', now: clock.now(), attempt, token, rand: random() }),
        (error: unknown) => failed(attempt, error),
      )
      .finally(() => {
        clock.clearTimeout(timeout);
        if (inflight === controller) inflight = undefined;
      });
  }

  function failed(attempt: number, cause: unknown): void {
    const error = isTokenwardError(cause) ? cause : new RefreshFailedError('Refresh failed', {}, { cause });
    const kind = options.classifyError?.(cause) ?? classifyError(error);
    const retryAfterMs = (error as RefreshFailedError).retryAfterMs;
    dispatch({ type: 'failed', now: clock.now(), attempt, error, kind, retryAfterMs, rand: random() });
  }

  function settle(error: TokenwardError | undefined): void {
    if (error) pending?.reject(error);
    else pending?.resolve(state.token!);
    pending = undefined;
  }

  function waitForToken(signal: AbortSignal | undefined): Promise<TokenSet> {
    if (!pending) {
      let resolve!: Pending['resolve'], reject!: Pending['reject'];
      const promise = new Promise<TokenSet>((yes, no) => ((resolve = yes), (reject = no)));
      // Callers handle their own copy; a shared rejection nobody waits for any more is not an error.
      promise.catch(() => {});
      pending = { promise, resolve, reject };
    }
    // Only this caller stops waiting; the shared refresh goes on for the others.
    return signal ? raceAbort(pending.promise, signal, () => new AbortedError({ cause: signal.reason })) : pending.promise;
  }

  /** Turns the machine's reply into the caller's answer: the token itself when it is held. */
  function answer(reply: Reply | undefined, signal?: AbortSignal): TokenNow {
    if (disposed) return Promise.reject(new DisposedError());
    if (reply === 'token') return state.token!;
    return reply === 'wait' ? waitForToken(signal) : Promise.reject(reply);
  }

  /** getTokenSet without the promise when a token is held (see token-now.ts). */
  function readToken(options?: GetTokenOptions): TokenNow {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new AbortedError({ cause: signal.reason }));
    const minValidityMs = Number.isFinite(options?.minValidityMs) ? options!.minValidityMs! : 0;
    const now = clock.now();
    // The machine's answer known in advance (the token, no change): it need not run.
    return answer(now < tokenServedUntil(state, minValidityMs) ? 'token' : dispatch({ type: 'request', now, minValidityMs }), signal);
  }

  function onPeer(message: PeerAnnouncement): void {
    if (message.type === 'tokens') {
      // Peers are another tab's code: their token is re-validated here (the machine keeps its shared fields only).
      try {
        message = { ...message, token: toTokenSet({ ...message.token, expiresIn: undefined, serverDate: undefined }, message.token.obtainedAt, 0) };
      } catch {
        return;
      }
    }
    dispatch({ type: 'peer', now: clock.now(), message, id: ++serial, cookieMode: options.cookieMode === true, rand: random() });
  }

  const cleanups = [
    lifecycle?.subscribe((signal) =>
      dispatch(signal === 'wake' ? { type: 'tick', now: clock.now() } : { type: 'connectivity', now: clock.now(), online: signal === 'online' }),
    ),
    coordinator?.subscribe(onPeer),
  ];

  const session: Session = {
    getTokenSet: async (options) => readToken(options),
    getAccessToken: async (options) => accessTokenOf(await readToken(options)),
    refresh: async () => accessTokenOf(await answer(dispatch({ type: 'refresh', now: clock.now() }))),
    signIn(tokens) {
      if (disposed) throw new DisposedError();
      const now = clock.now();
      dispatch({ type: 'sign-in', now, token: toTokenSet(tokens, now, ++serial), rand: random() });
    },
    signOut: () => void dispatch({ type: 'sign-out', now: clock.now() }),
    invalidate(token) {
      const current = state.token;
      const id = typeof token === 'string' ? (current?.accessToken === token ? current.id : -1) : token.id;
      dispatch({ type: 'invalidate', now: clock.now(), tokenId: id });
    },
    getSnapshot: () => snapshot,
    subscribe: (listener) => emitter.on(CHANGE, listener),
    getClaims() {
      const jwt = state.token?.accessToken;
      if (claimsOf !== jwt) {
        claimsOf = jwt;
        // Display-only: unverified; undefined without a token or for an opaque (non-JWT) one.
        claims = jwt === undefined ? undefined : decodeJwtClaims(jwt);
      }
      return claims;
    },
    on: (event, listener) => emitter.on(event, listener),
    dispose() {
      if (disposed) return;
      schedule(undefined);
      disposed = true;
      inflight?.abort();
      for (const cleanup of cleanups) cleanup?.();
      settle(new DisposedError());
      emitter.clear();
    },
  };

  TOKEN_READERS.set(session, readToken);
  if (options.tokens) session.signIn(options.tokens);
  return session;
}

function snapshotOf(state: MachineState): SessionSnapshot {
  return {
    status: state.status,
    expiresAt: state.token?.expiresAt,
    refreshAt: state.refreshAt,
    retryAt: state.retryAt,
    error: state.error,
  };
}

/**
 * `promise`, unless `signal` aborts first: then a rejection with `reason()`. The listener goes once
 * either settles, so a long-lived signal (an app's shutdown signal) collects none.
 */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, reason: () => unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function resolvePolicy(overrides: Partial<RefreshPolicy> | undefined): RefreshPolicy {
  const policy = { ...defaultPolicy, ...overrides };
  for (const value of Object.values(policy)) {
    if (!(value >= 0 && value < Infinity)) throw new ConfigError('Policy values must be finite numbers >= 0');
  }
  return policy;
}
