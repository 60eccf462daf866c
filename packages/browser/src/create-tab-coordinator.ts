import { ConfigError, RefreshFailedError, classifyError } from '@tokenward/core';
import { systemClock, toTokenSet } from '@tokenward/core/internal';
import type { PeerAnnouncement, RefreshContext, TokenResponse } from '@tokenward/core';
import { expiryReason } from '@tokenward/core/internal';
import { createChannelBus } from './coordinator/create-channel-bus.js';
import { createWebLock } from './coordinator/create-web-lock.js';
import type { Settlement } from './coordinator/effects.js';
import type { LockPort } from './coordinator/ports.js';
import type { CoordinatorEvent, Outcome } from './coordinator/events.js';
import { parsePeerMessage } from './coordinator/parse-peer-message.js';
import { DEFAULT_TIMINGS, initialCoordinatorState, type CoordinatorConfig } from './coordinator/state.js';
import type { TabCoordinator, TabCoordinatorOptions } from './coordinator/tab-coordinator-options.js';
import { transition } from './coordinator/transition.js';

export type { TabCoordinator, TabCoordinatorOptions } from './coordinator/tab-coordinator-options.js';
export type { CoordinatorTimings } from './coordinator/state.js';

/**
 * The fallback where `navigator.locks` is missing: granted at once, so each tab refreshes on its own
 * schedule; results still cross, and the server's reuse grace covers two tabs falling due together.
 */
const ALONE: LockPort = { request: async () => () => {} };

/** A refresh the session handed over, as the runtime keeps it. */
interface Job {
  ctx: RefreshContext;
  run: () => Promise<TokenResponse>;
  resolve(response: TokenResponse): void;
  reject(error: unknown): void;
  /** What this tab's own refresh returned or threw. */
  result?: { response?: TokenResponse; error?: unknown };
  /** Withdraws the lock request, or releases the lock once granted. */
  unlock?: () => void;
  /** Its promise settled; it stays known while it still holds the lock (a handoff). */
  settled?: boolean;
}

/**
 * The core's `Coordinator` across the tabs of an origin: one refresh per expiry for all of them. The
 * protocol is a pure machine (./coordinator/transition.ts); this runtime executes its effects. A refresh
 * runs under a cross-tab lock (the Web Locks API) held only around the request; a tab granted the lock
 * first checks whether a peer's result already replaced its token. Results, sign-ins and sign-outs
 * travel over a BroadcastChannel.
 * @example
 * const coordinator = createTabCoordinator({ name: 'my-app' });
 * const session = createSession({ refresh, coordinator });
 */
export function createTabCoordinator(options: TabCoordinatorOptions = {}): TabCoordinator {
  const { clock = systemClock, name = 'tokenward' } = options;
  const tab = Math.random().toString(36).slice(2);
  const config = { ...DEFAULT_TIMINGS, ...options.timings, tab, cookieMode: options.cookieMode === true } as CoordinatorConfig;
  // Unless set, the lock wait follows the refresh timeout (plus 2 s).
  config.lockWaitMs ??= config.refreshTimeoutMs + 2_000;
  const bus = options.bus ?? createChannelBus(name);
  if (!bus) throw new ConfigError('No BroadcastChannel');
  const lock = options.lock ?? createWebLock() ?? ALONE;
  const listeners = new Set<(message: PeerAnnouncement) => void>();
  const jobs = new Map<number, Job>();
  let state = initialCoordinatorState(clock.now(), config);
  let serial = 0;
  let timer: unknown;

  function dispatch(event: CoordinatorEvent): void {
    const [next, effects] = transition(state, event, config);
    state = next;
    for (const effect of effects) {
      switch (effect.type) {
        case 'post': bus!.post(effect.message); break;
        case 'schedule': schedule(effect.at); break;
        case 'lock': requestLock(effect.id, effect.round); break;
        case 'unlock': unlock(effect.id); break;
        case 'run': void run(effect.id); break;
        case 'deliver': listeners.forEach((listener) => listener(effect.message)); break;
        case 'settle': settle(effect.id, effect.settlement); break;
      }
    }
  }

  function schedule(at: number | undefined): void {
    clock.clearTimeout(timer);
    if (at !== undefined) timer = clock.setTimeout(() => dispatch({ type: 'tick', now: clock.now() }), Math.max(0, at - clock.now()));
  }

  function requestLock(id: number, round: number): void {
    const job = jobs.get(id);
    if (!job) return;
    const controller = new AbortController();
    let release: (() => void) | undefined;
    job.unlock = () => (release ? release() : controller.abort());
    lock.request(`tokenward:${name}:${round}`, controller.signal).then(
      (granted) => {
        release = granted;
        // A lock granted after the job let go of it (an abort that lost the race) goes back at once.
        if (controller.signal.aborted || jobs.get(id) !== job || job.settled) return granted();
        dispatch({ type: 'granted', now: clock.now(), id });
      },
      () => {},
    );
  }

  function unlock(id: number): void {
    const job = jobs.get(id);
    if (!job) return;
    job.unlock?.();
    job.unlock = undefined;
    if (job.settled) jobs.delete(id);
  }

  async function run(id: number): Promise<void> {
    const job = jobs.get(id)!;
    const { signal } = job.ctx;
    const sentAt = clock.now();
    let outcome: Outcome;
    try {
      // A refresher that ignores its signal keeps no lock past an abort: the abort cancels the job.
      const response = await job.run();
      // The core's own reading of the response, so every tab agrees with the session on its expiry:
      // the session gets this token (its expiry absolute) as its peers do.
      const token = toTokenSet(response, sentAt, 0);
      job.result = { response: token };
      outcome = { kind: 'token', token };
    } catch (error) {
      job.result = { error };
      const terminal = !signal.aborted && (options.classifyError?.(error) ?? classifyError(error)) === 'terminal';
      outcome = signal.aborted ? { kind: 'aborted' } : terminal ? { kind: 'expired', reason: expiryReason(error as RefreshFailedError) } : { kind: 'failed', retryAfterMs: (error as RefreshFailedError)?.retryAfterMs };
    }
    dispatch({ type: 'settled', now: clock.now(), id, outcome });
  }

  function settle(id: number, settlement: Settlement): void {
    const job = jobs.get(id);
    if (!job || job.settled) return;
    job.settled = true;
    if (!job.unlock) jobs.delete(id);
    if (settlement.kind === 'outcome') {
      const { response, error } = job.result ?? { error: job.ctx.signal.reason };
      return response ? job.resolve(response) : job.reject(error);
    }
    // A peer's token, with its absolute expiry: the session reads it as it reads its own.
    if (settlement.kind === 'token') return job.resolve(settlement.token);
    // Named by kind (`failed` in another tab, session `ended`, `superseded`): the message says which.
    const { kind } = settlement;
    job.reject(new RefreshFailedError(`Refresh ${kind}`, { kind: kind === 'ended' ? 'terminal' : 'transient', retryAfterMs: (settlement as { retryAfterMs?: number }).retryAfterMs }));
  }

  const unsubscribe = bus.subscribe((data) => {
    const message = parsePeerMessage(data, clock.now());
    if (message) dispatch({ type: 'message', now: clock.now(), message });
  });
  bus.post({ v: 1, type: 'hello', from: tab, gen: 0, at: clock.now() });

  return {
    tab,
    refresh(run, ctx) {
      return new Promise<TokenResponse>((resolve, reject) => {
        if (ctx.signal.aborted) return reject(ctx.signal.reason);
        const id = ++serial;
        jobs.set(id, { ctx, run, resolve, reject });
        ctx.signal.addEventListener('abort', () => {
          // Waiting or in flight: the caller learns now, and a late result is dropped. After a result,
          // the job only waits for its lock to go.
          const job = jobs.get(id);
          if (!job || job.result || job.settled) return;
          dispatch({ type: 'cancel', now: clock.now(), id });
          settle(id, { kind: 'outcome' });
        }, { once: true });
        dispatch({ type: 'request', now: clock.now(), id, replaces: ctx.current?.expiresAt });
      });
    },
    announce: (message) => dispatch({ type: 'announce', now: clock.now(), message }),
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      // Closed, the machine asks for no timer (its `schedule` disarms the last one) and delivers nothing.
      dispatch({ type: 'close', now: clock.now() });
      unsubscribe();
      bus.close();
    },
  };
}
