import { BroadcastChannel } from 'broadcast-channel';
import { RefreshFailedError, classifyError, systemClock, toTokenSet } from '@tokenward/core';
import type { PeerAnnouncement, RefreshContext, TokenResponse, TokenSet } from '@tokenward/core';
import { electHolder } from './elect-holder.js';
import { parsePeerMessage, type PeerMessage, type PeerMessageType, type PeerToken } from './parse-peer-message.js';
import { DEFAULT_TIMINGS, type TabCoordinator, type TabCoordinatorOptions } from './tab-coordinator-options.js';

export type { CoordinatorTimings, TabCoordinator, TabCoordinatorOptions } from './tab-coordinator-options.js';

interface Pending {
  ctx: RefreshContext;
  run: () => Promise<TokenResponse>;
  settle: (response?: TokenResponse, error?: unknown) => void;
  /** When this tab claimed, while it waits for competing claims; `until`: when that wait began. */
  claimedAt?: number;
  until?: number;
}

/**
 * The core's `Coordinator` across the tabs of an origin: one refresh per expiry for all of them.
 * A tab that needs a refresh joins the one in flight, or claims a bounded lease (the earliest claim
 * wins, the lowest tab id among equals), runs it, beats while it runs and broadcasts the result, which the others
 * adopt. A silent holder loses the lease after `leaseMs`. Nothing is held around user code.
 * @example
 * const coordinator = createTabCoordinator({ name: 'my-app' });
 * const session = createSession({ refresh, coordinator });
 */
export function createTabCoordinator(options: TabCoordinatorOptions = {}): TabCoordinator {
  const { clock = systemClock } = options;
  const t = { ...DEFAULT_TIMINGS, ...options.timings };
  const tab = Math.random().toString(36).slice(2, 10) + clock.now().toString(36);
  // `native` by name: broadcast-channel would otherwise fall back to IndexedDB or localStorage.
  const channel = new BroadcastChannel<unknown>(options.name ?? 'tokenward', { type: options.type ?? 'native', webWorkerSupport: false });
  const listeners = new Set<(message: PeerAnnouncement) => void>();
  /** Each tab's latest claim, by the time it was made. */
  const claims = new Map<string, number>();
  const helloUntil = clock.now() + t.helloMs;
  let gen = 0;
  let holder: { tab: string; heard: number } | undefined;
  /** The token this tab holds, as far as its announcements tell: what a new tab gets on `hello`. */
  let own: PeerToken | undefined;
  let pending: Pending | undefined;
  let running = false;
  let closed = false;
  let expiredSent = false;
  let timer: unknown;
  let beatTimer: unknown;
  /** How late messages arrive lately (ms, decaying): the claim window grows with it. */
  let lag = 0;

  const post = (type: PeerMessageType, extra: object = {}) => {
    if (!closed) channel.postMessage({ v: 1, type, from: tab, gen, at: clock.now(), ...extra }).catch(() => {});
  };
  const deliver = (message: PeerAnnouncement) => listeners.forEach((listener) => listener(message));
  // The generation is an epoch on the clock all tabs of a browser share, not a count: a tab opened
  // later (which heard none of the history) still announces a newer one than any before it.
  const bump = () => void (gen = Math.max(gen + 1, clock.now()));

  function step(): void {
    const p = pending;
    if (!p || running) return;
    clock.clearTimeout(timer);
    const now = clock.now();
    const wait = (ms: number) => void (timer = clock.setTimeout(step, ms));
    if (now < helloUntil) return wait(helloUntil - now);
    if (holder) {
      const silent = now - holder.heard;
      // Beats come from a timer, which a background tab throttles: a silent holder is put to the
      // test by a claim, which a live one answers from its message handler (see onMessage).
      if (silent < t.leaseMs) return wait(t.leaseMs - silent);
      holder = undefined;
    }
    if (p.claimedAt === undefined) {
      p.claimedAt = p.until = now;
      post('claim', { at: now });
    }
    // The window outlasts the slowest delivery seen lately: on a loaded machine messages take longer.
    const window = Math.min(Math.max(t.contentionMs, 3 * lag), t.leaseMs / 2);
    // A timer that fires late means a starved event loop, with claims perhaps still queued: let them in.
    if (now > p.until! + window * 1.5) p.until = now - window / 2;
    if (now < p.until! + window) return wait(p.until! + window - now);
    const winner = electHolder(claims, tab, p.claimedAt!, window);
    p.claimedAt = undefined;
    claims.clear();
    if (winner === tab) return void execute(p);
    holder = { tab: winner, heard: now };
    step();
  }

  async function execute(p: Pending): Promise<void> {
    running = true;
    expiredSent = false;
    const claimed = gen;
    const sentAt = clock.now();
    const beat = () => {
      post('beat');
      beatTimer = clock.setTimeout(beat, t.beatMs);
    };
    beat();
    let response: TokenResponse | undefined;
    let failure: unknown;
    try {
      response = await p.run();
    } catch (error) {
      failure = error;
    }
    running = false;
    clock.clearTimeout(beatTimer);
    // After a sign-out or expiry seen meanwhile (`gen` moved), the result is stale: nothing to tell.
    if (claimed === gen) {
      // The core's own reading of the response, so every tab agrees with the session on its expiry.
      const token = usable(response, sentAt);
      if (token) {
        response = { ...response, expiresAt: token.expiresAt };
        own = { accessToken: token.accessToken, tokenType: token.tokenType, expiresAt: token.expiresAt, obtainedAt: sentAt, scope: token.scope };
        post('tokens', { token: own, signedIn: false });
      } else if (response || (options.classifyError?.(failure) ?? classifyError(failure)) !== 'terminal') {
        post('failed', { retryAfterMs: (failure as RefreshFailedError | undefined)?.retryAfterMs });
      } else {
        bump();
        own = undefined;
        expiredSent = true;
        const { oauthError, status } = (failure ?? {}) as RefreshFailedError;
        post('expired', { reason: safeReason(oauthError ?? (status ? `http_${status}` : 'refused')) });
      }
    }
    p.settle(response, failure);
    step();
  }

  function onMessage(data: unknown): void {
    const m = parsePeerMessage(data, clock.now()) as PeerMessage | undefined;
    if (!m || m.from === tab || (m.type === 'tokens' && m.to && m.to !== tab)) return;
    const late = clock.now() - m.at;
    // An older announcement waited out a frozen tab: it says nothing about delivery.
    if (late < 10_000) lag = Math.max(late, lag * 0.9);
    const p = pending;
    switch (m.type) {
      case 'hello':
      case 'claim':
        if (running) post('beat');
        else if (m.type === 'claim') claims.set(m.from, m.at);
        else if (m.type === 'hello' && own && own.expiresAt > clock.now()) post('tokens', { token: own, signedIn: false, to: m.from });
        return;
      case 'beat':
        // A holder settles the round: the claims made in it are moot.
        claims.clear();
        holder = { tab: m.from, heard: clock.now() };
        if (p) p.claimedAt = undefined;
        return step();
      case 'release':
        if (m.from === holder?.tab) holder = undefined;
        claims.clear();
        return step();
    }
    const fromHolder = m.from === holder?.tab;
    if (fromHolder) holder = undefined;
    claims.clear();
    // Announcements of an older generation predate a sign-out or expiry here: they change nothing.
    // A peer's epoch counts at most GEN_AHEAD_MS past this clock: a hostile or buggy value cannot
    // make this tab drop later announcements for longer than that.
    const epoch = Math.min(m.gen, clock.now() + GEN_AHEAD_MS);
    if (epoch >= gen) {
      gen = epoch;
      if (m.type === 'tokens') {
        const { token, signedIn } = m;
        if (signedIn || !own || token.expiresAt > own.expiresAt) own = token;
        // The session adopts the peer's token first; the refresh it joined settles after, as stale.
        deliver({ type: 'tokens', token, signedIn });
        // Settled when the session adopted it: no valid token of its own, or an older one.
        const current = p?.ctx.current;
        if (!current || current.expiresAt <= clock.now() || token.expiresAt > current.expiresAt) p?.settle({ ...token, expiresIn: undefined });
      } else if (m.type === 'failed') {
        if (p && fromHolder && !running) p.settle(undefined, new RefreshFailedError('Refresh failed in another tab', { kind: 'transient', retryAfterMs: m.retryAfterMs }));
      } else {
        own = undefined;
        deliver(m.type === 'expired' ? { type: 'session-expired', reason: m.reason } : { type: 'signed-out' });
        if (!running) p?.settle(undefined, new RefreshFailedError('Session ended in another tab', { kind: 'terminal' }));
      }
    }
    step();
  }

  channel.addEventListener('message', onMessage);
  post('hello');

  return {
    tab,
    refresh(run, ctx) {
      return new Promise<TokenResponse>((resolve, reject) => {
        const onAbort = () => p.settle(undefined, ctx.signal.reason);
        const p: Pending = {
          ctx,
          run,
          settle(response, error) {
            if (pending !== p) return;
            pending = undefined;
            clock.clearTimeout(timer);
            ctx.signal.removeEventListener('abort', onAbort);
            if (response) resolve(response);
            else reject(error);
          },
        };
        pending?.settle(undefined, new RefreshFailedError('Superseded', { kind: 'transient' }));
        pending = p;
        if (ctx.signal.aborted) return onAbort();
        ctx.signal.addEventListener('abort', onAbort);
        step();
      });
    },
    announce(message) {
      const skip = expiredSent;
      expiredSent = false;
      if (message.type === 'tokens') {
        // The fields peers accept, and never the refresh token a sign-in may carry.
        const { accessToken, tokenType, expiresAt, obtainedAt, scope } = message.token;
        if (message.signedIn) bump();
        own = { accessToken, tokenType, expiresAt, obtainedAt, scope };
        post('tokens', { token: own, signedIn: message.signedIn });
      } else if (!(skip && message.type === 'session-expired')) {
        // This tab's own failed refresh already told everyone, as `expired`.
        bump();
        own = undefined;
        post(message.type === 'signed-out' ? 'signed-out' : 'expired', message.type === 'session-expired' ? { reason: safeReason(message.reason) } : {});
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      // A closing holder hands the lease back at once rather than making the others wait it out.
      if (running) post('release');
      closed = true;
      clock.clearTimeout(timer);
      clock.clearTimeout(beatTimer);
      listeners.clear();
      channel.removeEventListener('message', onMessage);
      return channel.close();
    },
  };
}

const GEN_AHEAD_MS = 1_000;

function safeReason(reason: string): string {
  return /^[\w.:-]{1,64}$/.test(reason) ? reason : 'refused';
}

/** `response` as the session will read it, or undefined when the session would refuse it. */
function usable(response: TokenResponse | undefined, sentAt: number): TokenSet | undefined {
  try {
    return response && toTokenSet(response, sentAt, 0);
  } catch {
    return undefined;
  }
}
