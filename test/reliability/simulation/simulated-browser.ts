// A browser simulated in discrete time: N tabs, each the core's session machine plus the browser's
// coordinator machine (both pure), over a channel that delays, reorders, duplicates and drops, a lock
// manager with the Web Locks semantics (FIFO per name, released when a tab closes, kept by a frozen
// tab), and a server with rotating refresh tokens and strict reuse detection that can hang and fail
// transiently. No timers, no promises: thousands of runs take seconds, and a seed replays one exactly.
import { type RefreshPolicy, type SharedToken } from '@tokenward/core';
import { initialState, transition as sessionTransition, type MachineEvent, type MachineState } from '@tokenward/core/machine';
import { RefreshFailedError } from '@tokenward/core';
import { parsePeerMessage } from '../../../packages/browser/src/coordinator/parse-peer-message.js';
import { initialCoordinatorState, type CoordinatorConfig, type CoordinatorState } from '../../../packages/browser/src/coordinator/state.js';
import type { CoordinatorEvent, Outcome } from '../../../packages/browser/src/coordinator/events.js';
import { transition as coordinate } from '../../../packages/browser/src/coordinator/transition.js';
import { seededRandom } from '../helpers/random.js';

export const LIFETIME_MS = 10_000;
export const POLICY: RefreshPolicy = { leadMs: 2_000, leadFraction: 0, jitterFraction: 0.2, backoffMs: 500, maxBackoffMs: 4_000, timeoutMs: 3_000 };
export const TIMINGS = { helloMs: 150, refreshTimeoutMs: 3_000, lockWaitMs: 5_000, handoffMs: 500 };
const T0 = 1_800_000_000_000;

export interface Faults {
  /** Largest channel delay (ms); the hello window outlasts it. */
  maxDelayMs: number;
  duplicate: number;
  /** Probability that a message to one tab is lost: the channel does not work. */
  drop: number;
  /** Server latency per leg (ms). */
  latencyMs: number;
  /** Probability that a refresh hangs until its tab gives up (aborts it): the server rotates nothing. */
  hang?: number;
  /** Probability that a refresh fails transiently (503): the server rotates nothing. */
  fail?: number;
}

export interface Tab {
  readonly index: number;
  session: MachineState;
  coordinator: CoordinatorState;
  config: CoordinatorConfig;
  frozen: boolean;
  closed: boolean;
  /** Deferred while frozen, in order. */
  backlog: Array<() => void>;
  timers: { session?: number; coordinator?: number };
  /** The attempts whose session timeout is still armed (each attempt has its own, as in createSession). */
  timeouts: Set<number>;
  /** What this tab's own refresh returned, for the coordinator's `outcome` settlement. */
  outcomes: Map<number, { expiresAt: number; obtainedAt: number } | { status: number }>;
  /** When it last thawed: for a lock wait after that, its peers may still take it for frozen. */
  thawedAt: number;
}

interface Request {
  tab: Tab;
  id: number;
  presented: number;
  /** The sign-in the cookie belongs to: a later sign-in starts a new family, and the old cookie is just refused. */
  family: number;
  sentAt: number;
  frozen: boolean;
}

export function createSimulatedBrowser(seed: number, faults: Faults) {
  const random = seededRandom(seed);
  const queue: Array<{ at: number; seq: number; run: () => void }> = [];
  const tabs: Tab[] = [];
  const locks = new Map<string, { holder?: [Tab, number]; waiting: Array<[Tab, number]> }>();
  const server = { current: 1, jar: 1, signedIn: true, rotations: [] as number[], reuse: [] as string[], refreshRequests: 0, frozenRotation: false, family: 1, hangs: 0 };
  const outstanding = new Set<Request>();
  const violations: string[] = [];
  let now = T0;
  let seq = 0;
  let serial = 0;
  let timerSerial = 0;
  let maxConcurrent = 0;

  const at = (time: number, run: () => void) => void queue.push({ at: time, seq: ++seq, run });
  /** Runs `fn` on `tab` now, or when it thaws; never on a closed tab. */
  const onTab = (tab: Tab, fn: () => void) => () => (tab.closed ? undefined : tab.frozen ? void tab.backlog.push(fn) : fn());

  function session(tab: Tab, event: MachineEvent): void {
    const [next, effects] = sessionTransition(tab.session, event, POLICY);
    tab.session = next;
    for (const effect of effects) {
      if (effect.type === 'schedule') tab.timers.session = timer(tab, effect.at, (t) => t.timers.session, () => session(tab, { type: 'tick', now }));
      else if (effect.type === 'start-refresh') {
        const { attempt } = effect;
        // The session's own timeout covers waiting for the lock and the request. Until the attempt
        // settles it aborts the request, whatever the session did meanwhile (a peer's token adopted).
        tab.timeouts.add(attempt);
        at(now + POLICY.timeoutMs, onTab(tab, () => {
          if (!tab.timeouts.delete(attempt)) return;
          coordinator(tab, { type: 'cancel', now, id: attempt });
          if (tab.session.status === 'refreshing' && tab.session.attempt === attempt) failed(tab, attempt, 'transient');
        }));
        coordinator(tab, { type: 'request', now, id: attempt, replaces: effect.current?.expiresAt });
      } else if (effect.type === 'abort-refresh') coordinator(tab, { type: 'cancel', now, id: tab.session.attempt });
      else if (effect.type === 'announce') coordinator(tab, { type: 'announce', now, message: effect.message });
    }
  }

  function failed(tab: Tab, attempt: number, kind: 'transient' | 'terminal', retryAfterMs?: number): void {
    const error = new RefreshFailedError('simulated', { status: kind === 'terminal' ? 401 : 503, oauthError: kind === 'terminal' ? 'invalid_grant' : undefined, kind });
    session(tab, { type: 'failed', now, attempt, error, kind, retryAfterMs, rand: random() });
  }

  function refreshed(tab: Tab, attempt: number, token: { expiresAt: number; obtainedAt: number; accessToken?: string }): void {
    session(tab, { type: 'refreshed', now, attempt, token: { id: ++serial, tokenType: 'Bearer', accessToken: token.accessToken ?? `at-${token.expiresAt}`, expiresAt: token.expiresAt, obtainedAt: token.obtainedAt }, rand: random() });
  }

  /**
   * The session aborted refresh `id`: its fetch is aborted, and the server drops it (rotating nothing)
   * if it has not answered. The refresher then rejects, and the runtime tells the coordinator.
   */
  function abort(tab: Tab, id: number): void {
    for (const r of outstanding) {
      if (r.tab !== tab || r.id !== id) continue;
      outstanding.delete(r);
      at(now, onTab(tab, () => coordinator(tab, { type: 'settled', now, id, outcome: { kind: 'aborted' } })));
    }
  }

  function coordinator(tab: Tab, event: CoordinatorEvent): void {
    if (event.type === 'cancel') abort(tab, event.id);
    const [next, effects] = coordinate(tab.coordinator, event, tab.config);
    tab.coordinator = next;
    for (const effect of effects) {
      switch (effect.type) {
        case 'post': broadcast(tab, effect.message); break;
        case 'schedule': tab.timers.coordinator = timer(tab, effect.at, (t) => t.timers.coordinator, () => coordinator(tab, { type: 'tick', now })); break;
        case 'lock': request(tab, effect.id, `round-${effect.round}`); break;
        case 'unlock': release(tab, effect.id); break;
        case 'run': send(tab, effect.id); break;
        case 'deliver': {
          const { message } = effect;
          session(tab, { type: 'peer', now, message, id: ++serial, cookieMode: false, rand: random() });
          break;
        }
        case 'settle': {
          const attempt = effect.id;
          // The attempt's promise settled: its timeout is cleared.
          tab.timeouts.delete(attempt);
          if (tab.session.status !== 'refreshing' || tab.session.attempt !== attempt) break;
          const s = effect.settlement;
          if (s.kind === 'outcome') {
            const result = tab.outcomes.get(attempt);
            if (!result) break;
            if ('status' in result) failed(tab, attempt, result.status === 401 ? 'terminal' : 'transient');
            else refreshed(tab, attempt, result);
          } else if (s.kind === 'token') refreshed(tab, attempt, s.token);
          else failed(tab, attempt, s.kind === 'ended' ? 'terminal' : 'transient', s.kind === 'failed' ? s.retryAfterMs : undefined);
        }
      }
    }
  }

  /** One timer per slot: a newer one (or `undefined`) cancels the older by serial. */
  function timer(tab: Tab, time: number | undefined, slot: (t: Tab) => number | undefined, fire: () => void): number | undefined {
    if (time === undefined) return undefined;
    const id = ++timerSerial;
    at(Math.max(now, time), onTab(tab, () => slot(tab) === id && fire()));
    return id;
  }

  function broadcast(from: Tab, message: unknown): void {
    for (const to of tabs) {
      if (to === from || to.closed || random() < faults.drop) continue;
      const copies = random() < faults.duplicate ? 2 : 1;
      for (let i = 0; i < copies; i++) deliver(to, structuredClone(message), 1 + Math.floor(random() * faults.maxDelayMs));
    }
  }

  function deliver(to: Tab, data: unknown, delay: number): void {
    at(now + delay, onTab(to, () => {
      const message = parsePeerMessage(data, now);
      if (message) coordinator(to, { type: 'message', now, message });
    }));
  }

  function request(tab: Tab, id: number, name: string): void {
    const lock = locks.get(name) ?? { waiting: [] };
    locks.set(name, lock);
    if (lock.holder) lock.waiting.push([tab, id]);
    else grant(lock, tab, id);
  }

  function grant(lock: { holder?: [Tab, number] }, tab: Tab, id: number): void {
    lock.holder = [tab, id];
    at(now, onTab(tab, () => coordinator(tab, { type: 'granted', now, id })));
  }

  function release(tab: Tab, id: number): void {
    for (const lock of locks.values()) {
      lock.waiting = lock.waiting.filter(([t, i]) => !(t === tab && i === id));
      if (lock.holder?.[0] === tab && lock.holder[1] === id) {
        lock.holder = undefined;
        const next = lock.waiting.shift();
        if (next) grant(lock, ...next);
      }
    }
  }

  function send(tab: Tab, id: number): void {
    // A tab that thawed less than a lock wait ago may be racing a peer that took it for frozen: the
    // one case no client can exclude, and the server's reuse grace covers it. Exempt, like a request
    // in flight while its tab is frozen.
    const req: Request = { tab, id, presented: server.jar, family: server.family, sentAt: now, frozen: now - tab.thawedAt < TIMINGS.lockWaitMs };
    outstanding.add(req);
    const live = [...outstanding].filter((r) => !r.frozen).length;
    maxConcurrent = Math.max(maxConcurrent, live);
    if (live > 1) violations.push(`${live} refreshes in flight at ${now - T0} ms`);
    // Drawn only when the server has faults, so a scenario without them replays as it did before.
    const fault = faults.hang || faults.fail ? random() : 1;
    // A hung request stays in flight, unanswered, until its tab aborts it.
    if (fault < (faults.hang ?? 0)) return void server.hangs++;
    at(now + faults.latencyMs, () => {
      // An aborted request (its tab closed, or the session gave up on it) is dropped unanswered.
      if (!outstanding.delete(req) || tab.closed) return;
      // From here on the cookie is rotated: a later request presents the new one.
      server.refreshRequests++;
      let result: { expiresAt: number; obtainedAt: number } | { status: number };
      if (fault < (faults.hang ?? 0) + (faults.fail ?? 0)) result = { status: 503 };
      else if (!server.signedIn || req.family !== server.family) result = { status: 401 };
      else if (req.presented === server.current) {
        server.jar = server.current = server.current + 1;
        server.rotations.push(now);
        server.frozenRotation = req.frozen;
        result = { expiresAt: req.sentAt + LIFETIME_MS, obtainedAt: req.sentAt };
      } else {
        // A replay: strict detection would revoke the family. Exempt only what a frozen tab had in flight.
        if (!req.frozen && !server.frozenRotation) server.reuse.push(`tab ${tab.index} presented ${req.presented} after rotation to ${server.current} at ${now - T0} ms`);
        result = { status: 401 };
      }
      at(now + faults.latencyMs, onTab(tab, () => {
        tab.outcomes.set(id, result);
        coordinator(tab, { type: 'settled', now, id, outcome: toOutcome(result) });
      }));
    });
  }

  function toOutcome(result: { expiresAt: number; obtainedAt: number } | { status: number }): Outcome {
    if ('status' in result) return result.status === 503 ? { kind: 'failed', retryAfterMs: undefined } : { kind: 'expired', reason: 'invalid_grant' };
    const token: SharedToken = { accessToken: `at-${result.expiresAt}`, tokenType: 'Bearer', expiresAt: result.expiresAt, obtainedAt: result.obtainedAt };
    return { kind: 'token', token };
  }

  const world = {
    tabs,
    server,
    violations,
    get now() {
      return now;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    at,
    /** Opens a tab: it posts `hello` and boots (a first request), as a page does. */
    open(): Tab {
      const index = tabs.length;
      const config: CoordinatorConfig = { ...TIMINGS, tab: `tab-${index}`, cookieMode: false };
      const tab: Tab = { index, session: initialState(), coordinator: initialCoordinatorState(now, TIMINGS), config, frozen: false, closed: false, backlog: [], timers: {}, timeouts: new Set(), outcomes: new Map(), thawedAt: -Infinity };
      tabs.push(tab);
      broadcast(tab, { v: 1, type: 'hello', from: config.tab, gen: 0, round: 0, at: now });
      session(tab, { type: 'request', now, minValidityMs: 0 });
      return tab;
    },
    close(tab: Tab): void {
      coordinator(tab, { type: 'close', now });
      tab.closed = true;
      // Its requests are aborted.
      for (const r of outstanding) if (r.tab === tab) outstanding.delete(r);
      // The browser releases whatever a closed page held or asked for.
      for (const lock of locks.values()) {
        lock.waiting = lock.waiting.filter(([t]) => t !== tab);
        if (lock.holder?.[0] === tab) {
          lock.holder = undefined;
          const next = lock.waiting.shift();
          if (next) grant(lock, ...next);
        }
      }
    },
    freeze(tab: Tab): void {
      tab.frozen = true;
      for (const r of outstanding) if (r.tab === tab) r.frozen = true;
    },
    thaw(tab: Tab): void {
      tab.frozen = false;
      tab.thawedAt = now;
      for (const r of outstanding) if (r.tab !== tab && now - r.sentAt < TIMINGS.lockWaitMs) r.frozen = true;
      for (const fn of tab.backlog.splice(0)) if (!tab.closed && !tab.frozen) fn();
    },
    signIn(tab: Tab): void {
      server.signedIn = true;
      server.family++;
      server.jar = server.current = server.current + 1;
      session(tab, { type: 'sign-in', now, token: { id: ++serial, accessToken: `signed-in-${now}`, tokenType: 'Bearer', obtainedAt: now, expiresAt: now + LIFETIME_MS }, rand: random() });
    },
    signOut(tab: Tab): void {
      server.signedIn = false;
      session(tab, { type: 'sign-out', now });
    },
    /** A message from no tab at all (hostile or buggy code on the origin). */
    inject(data: unknown): void {
      for (const to of tabs) if (!to.closed) deliver(to, structuredClone(data), 1 + Math.floor(random() * faults.maxDelayMs));
    },
    /** Runs every event up to `until`, checking the invariants as it goes. */
    runUntil(until: number): void {
      for (;;) {
        let first = -1;
        for (let i = 0; i < queue.length; i++) if (first < 0 || queue[i]!.at < queue[first]!.at || (queue[i]!.at === queue[first]!.at && queue[i]!.seq < queue[first]!.seq)) first = i;
        if (first < 0 || queue[first]!.at > until) break;
        const [next] = queue.splice(first, 1);
        now = next!.at;
        next!.run();
      }
      now = Math.max(now, until);
    },
    T0,
  };
  return world;
}

export type SimulatedBrowser = ReturnType<typeof createSimulatedBrowser>;
