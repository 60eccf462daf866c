import { type SharedToken } from '@tokenward/core';
import { toSharedToken } from '@tokenward/core/internal';
import { REASON_PATTERN } from '@tokenward/core/internal';
import type { CoordinatorEffect, Settlement } from './effects.js';
import type { CoordinatorEvent } from './events.js';
import type { PeerMessage } from './parse-peer-message.js';
import { knowledge, type CoordinatorConfig, type CoordinatorState, type Job } from './state.js';

export type CoordinatorResult = readonly [CoordinatorState, readonly CoordinatorEffect[]];
type Handlers = { [T in CoordinatorEvent['type']]: (state: CoordinatorState, event: Extract<CoordinatorEvent, { type: T }>, config: CoordinatorConfig) => CoordinatorResult };

/** A peer's epoch counts at most this far past its message's stamp (itself at most 1 s ahead): a hostile value cannot silence later announcements. */
const EPOCH_AHEAD_MS = 1_000;
const none: readonly CoordinatorEffect[] = [];

/**
 * The cross-tab protocol of one tab: the next state and the effects to run, as data. Pure: time comes
 * in on the event, and it runs nothing. Exclusion is the lock's; messages share results and endings.
 * @example
 * const [next, effects] = transition(state, { type: 'request', now: Date.now(), id: 1, replaces: undefined }, config);
 */
export function transition(state: CoordinatorState, event: CoordinatorEvent, config: CoordinatorConfig): CoordinatorResult {
  if (state.phase === 'closed') return [state, none];
  const [next, effects] = (handlers[event.type] as (s: CoordinatorState, e: CoordinatorEvent, c: CoordinatorConfig) => CoordinatorResult)(state, event, config);
  const wake = wakeAt(next, config);
  return wake === wakeAt(state, config) && event.type !== 'tick' ? [next, effects] : [next, [...effects, { type: 'schedule', at: wake }]];
}

const handlers: Handlers = {
  request(state, { now, id, replaces }, config) {
    const job: Job = { id, replaces, at: now, epoch: state.epoch };
    // A peer's token may already have replaced the one the session wants replaced.
    const replaced = replacedBy(state.own, job, now);
    // This tab's last refresh is still in flight (its session moved on to a peer's token): the new one
    // never runs beside it, nor waits behind it unbounded. It fails fast, and the session retries
    // after its backoff; the holder keeps its deadline (its session's timeout aborts it).
    if (state.phase === 'holding') return [state, [settle(id, replaced ? { kind: 'token', token: state.own! } : { kind: 'failed' })]];
    // A new refresh supersedes one still waiting, and ends a handoff early: this tab's own lock
    // request would queue behind it anyway.
    const superseded = finish(state, { kind: 'superseded' });
    if (replaced) return [idle(state), [...superseded, settle(id, { kind: 'token', token: state.own! })]];
    if (now < state.helloUntil) return [{ ...knowledge(state), phase: 'hello', job }, superseded];
    return wait({ ...knowledge(state), phase: 'waiting', job }, now, config, superseded);
  },

  cancel(state, { now, id }, config) {
    if (!('job' in state) || state.job.id !== id) return [state, none];
    // Cancelled at the session's timeout while waiting: the block goes on counting for its retry.
    // Cancelled for anything else (a sign-in, a sign-out), it was no evidence of a stuck holder.
    const timedOut = state.phase === 'waiting' && now - state.job.at >= config.refreshTimeoutMs - config.helloMs;
    // A holder letting go without a result still tells the waiters the lock moved: their count of a
    // stuck holder must not run on into the next round while the lock is in use again.
    const moved: CoordinatorEffect[] = state.phase === 'holding' ? [post(state, config, now, { type: 'locked' })] : [];
    return [timedOut ? { ...knowledge(state), phase: 'idle' } : idle(state), [{ type: 'unlock', id }, ...moved]];
  },

  tick(state, { now }, config) {
    // Each phase but idle ends at its wake time; before it, a tick changes nothing.
    const due = wakeAt(state, config);
    if (due === undefined || now < due) return [state, none];
    if (state.phase === 'hello') return wait({ ...state, phase: 'waiting' }, now, config);
    if (state.phase === 'waiting') {
      // A timer this late means this tab was the one asleep (frozen, suspended): its wait proves
      // nothing about the holder, and the count starts again.
      if (now - due > config.lockWaitMs / 2) return [{ ...state, blockedSince: now }, none];
      return wait(state, now, config, [{ type: 'unlock', id: state.job.id }]);
    }
    if (state.phase === 'handoff') return [idle(state), [{ type: 'unlock', id: state.id }]];
    // A refresher that ignores its abort signal does not keep the lock past the timeout.
    if (state.phase === 'holding') return [idle(state), [{ type: 'unlock', id: state.job.id }, post(state, config, now, { type: 'locked' }), settle(state.job.id, { kind: 'failed' })]];
    return [state, none];
  },

  granted(state, { now, id }, config) {
    if (state.phase !== 'waiting' || state.job.id !== id) return [state, [{ type: 'unlock', id }]];
    // The waiter's check: did a peer replace the token while this tab waited? Then no server call.
    if (replacedBy(state.own, state.job, now)) return [idle(state), [{ type: 'unlock', id }, settle(id, { kind: 'token', token: state.own! })]];
    // Granted with under half the session's timeout left (it waited out a hung holder), its request
    // could be aborted after the server rotated: the token lost, the next waiter refreshes again. It
    // lets the lock go instead, and the session retries with a whole timeout.
    if (now - state.job.at > config.refreshTimeoutMs / 2) return [idle(state), [{ type: 'unlock', id }, settle(id, { kind: 'failed' })]];
    const holding = { ...state, phase: 'holding', until: now + config.refreshTimeoutMs, blockedSince: undefined } as const;
    return [holding, [post(holding, config, now, { type: 'locked' }), { type: 'run', id }]];
  },

  settled(state, { now, id, outcome }, config) {
    if (state.phase !== 'holding' || state.job.id !== id) return [state, [{ type: 'unlock', id }]];
    const done = settle(id, { kind: 'outcome' });
    // After a sign-out or expiry seen meanwhile, the result is history: nothing to tell.
    if (outcome.kind === 'aborted' || state.job.epoch !== state.epoch) return [idle(state), [{ type: 'unlock', id }, post(state, config, now, { type: 'locked' }), done]];
    // The lock goes only after the news, so a waiter granted it next has heard the result.
    const handoff = { ...knowledge(state), phase: 'handoff', id, until: now + Math.max(config.handoffMs, 3 * state.lag) } as const;
    if (outcome.kind === 'token') {
      const own = toSharedToken(outcome.token, !config.cookieMode);
      return [{ ...handoff, own, ended: undefined }, [post(state, config, now, { type: 'tokens', token: own, signedIn: false }), done]];
    }
    if (outcome.kind === 'failed') return [handoff, [post(state, config, now, { type: 'failed', retryAfterMs: outcome.retryAfterMs }), done]];
    // Refused: the session is over in every tab. One epoch past the refresh's own, not the wall
    // clock's: later than any result it could have raced, earlier than a sign-in elsewhere meanwhile
    // (the refusal may be its doing: the old cookie's family ended), which then wins in every tab.
    const ended = { ...handoff, epoch: state.epoch + 1, own: undefined, ended: 'expired' as const };
    return [ended, [post(ended, config, now, { type: 'expired', reason: safeReason(outcome.reason) }), done]];
  },

  message(state, { now, message }, config) {
    if (message.from === config.tab || ((message as { to?: string }).to ?? config.tab) !== config.tab) return [state, none];
    // Lateness of fresh messages only (an announcement queued while a tab was frozen says nothing), capped.
    const late = now - message.at;
    const lag = late < 10_000 ? Math.min(Math.max(late, state.lag * 0.9), config.lockWaitMs / 4) : state.lag;
    // A peer that moved past a stuck holder: its lock round is taken one step at a time, so a wild
    // value moves nobody far.
    const round = (message.round ?? 0) > state.round ? state.round + 1 : state.round;
    const learned = { ...state, lag, round };
    const effects: CoordinatorEffect[] = round === state.round || learned.phase !== 'waiting' ? [] : [{ type: 'unlock', id: learned.job.id }, { type: 'lock', id: learned.job.id, round }];
    // The lock moved on: a waiter's count of a stuck holder starts again, an idle tab's is void.
    if (message.type === 'locked') return [{ ...learned, blockedSince: learned.phase === 'waiting' ? now : undefined }, effects];
    // Capped by the sender's stamp, not this tab's clock: every tab caps a wild value alike.
    const epoch = Math.min(message.gen, message.at + EPOCH_AHEAD_MS);
    if (message.type === 'hello') {
      // A new tab is answered with the live token, or else with a `hello` to it: either teaches it the
      // epoch (else the others would take its results for history) and the lock round (past a frozen
      // holder, the free round is not the one the others refresh under).
      if (!message.to) {
        const live = learned.own && learned.own.expiresAt > now ? learned.own : undefined;
        effects.push(post(learned, config, now, live ? { type: 'tokens', token: live, signedIn: false, to: message.from } : { type: 'hello', to: message.from }));
      } else if (learned.phase === 'hello' && epoch > learned.epoch) return [{ ...learned, epoch, job: { ...learned.job, epoch } }, effects];
      return [learned, effects];
    }
    // Announcements from before the latest sign-in, sign-out or expiry heard here are history.
    if (epoch < learned.epoch) return [learned, effects];
    // A result or an announcement is a live tab at work: a wait so far says nothing of a stuck holder.
    const heard = { ...learned, epoch, blockedSince: learned.phase === 'waiting' ? now : undefined };
    if (message.type === 'failed') {
      // Waiters back off with the holder rather than each asking a failing server in turn.
      const waiting = 'job' in heard && heard.phase !== 'holding' && message.at >= heard.job.at;
      return waiting ? [idle(heard), [...effects, ...finish(heard, { kind: 'failed', retryAfterMs: message.retryAfterMs })]] : [heard, effects];
    }
    if (message.type === 'tokens') {
      const { token, signedIn } = message;
      if (config.cookieMode && token.accessToken !== undefined) return [learned, effects];
      const own = signedIn || !heard.own || token.expiresAt > heard.own.expiresAt ? token : heard.own;
      const next = { ...heard, own, ended: undefined };
      effects.push({ type: 'deliver', message: { type: 'tokens', token, signedIn } });
      // The session adopts the token first; a waiter whose token it replaced settles with it.
      if ('job' in next && next.phase !== 'holding' && replacedBy(token, next.job, now)) return [idle(next), [...effects, ...finish(next, { kind: 'token', token })]];
      return [next, effects];
    }
    const ended = message.type === 'signed-out' ? 'signed-out' : 'expired';
    const next: CoordinatorState = { ...heard, own: undefined, ended };
    effects.push({ type: 'deliver', message: message.type === 'signed-out' ? { type: 'signed-out' } : { type: 'session-expired', reason: message.reason } });
    return 'job' in next && next.phase !== 'holding' ? [idle(next), [...effects, ...finish(next, { kind: 'ended' })]] : [next, effects];
  },

  announce(state, { now, message }, config) {
    if (message.type === 'tokens') {
      const own = toSharedToken(message.token, !config.cookieMode);
      const next = { ...state, own, ended: undefined, epoch: message.signedIn ? bump(state, now) : state.epoch };
      return [next, [post(next, config, now, { type: 'tokens', token: own, signedIn: message.signedIn })]];
    }
    const ended = message.type === 'signed-out' ? 'signed-out' : 'expired';
    // This tab's own refused refresh already told everyone, before it let go of the lock.
    if (ended === 'expired' && state.ended === 'expired' && !state.own) return [state, none];
    const next = { ...state, own: undefined, ended, epoch: bump(state, now) } as const;
    return [next, [post(next, config, now, message.type === 'signed-out' ? { type: 'signed-out' } : { type: 'expired', reason: safeReason(message.reason) })]];
  },

  // A closing holder lets go of the lock at once (the browser would too, when the page goes).
  close: (state) => [{ ...knowledge(state), phase: 'closed' }, finish(state, { kind: 'ended' })],
};

/** Back to idle, the refresh settled: whatever wait came before was no stuck holder. */
function idle(state: CoordinatorState): CoordinatorState {
  return { ...knowledge(state), phase: 'idle', blockedSince: undefined };
}

/** When the runtime must wake the machine next, if ever: every phase but `idle` is bounded in time. */
function wakeAt(state: CoordinatorState, config: CoordinatorConfig): number | undefined {
  if (state.phase === 'hello') return state.helloUntil;
  if (state.phase === 'waiting') return state.blockedSince! + config.lockWaitMs;
  return 'until' in state ? state.until : undefined;
}

/**
 * Asks for the lock of the current round, or of the next one when this tab has been kept from it
 * longer than any refresh may take: the holder is frozen (or its page hangs). Stealing would run two
 * holders once it resumes; the next round's lock still excludes every tab alive, and the server's
 * reuse grace covers the request the frozen tab may have in flight. The count runs across the
 * session's retries, until any sign of the lock moving (`locked`, a result) clears it.
 */
function wait(state: CoordinatorState & { phase: 'waiting' }, now: number, config: CoordinatorConfig, effects: CoordinatorEffect[] = []): CoordinatorResult {
  let { round, blockedSince = now } = state;
  if (now >= blockedSince + config.lockWaitMs) [round, blockedSince] = [round + 1, now];
  const next = { ...state, round, blockedSince };
  // The move is told at once, so that the others (a holder that thaws, too) follow to the new round.
  if (round > state.round) effects = [...effects, post(next, config, now, { type: 'locked' })];
  return [next, [...effects, { type: 'lock', id: state.job.id, round }]];
}

/** Whether `token` is live and newer than the one `job` wants replaced. */
function replacedBy(token: SharedToken | undefined, job: Job, now: number): boolean {
  return token !== undefined && token.expiresAt > now && token.expiresAt > (job.replaces ?? -Infinity);
}

/** A new epoch on the wall clock all tabs share: later than any before it, whatever this tab heard. */
function bump(state: CoordinatorState, now: number): number {
  return Math.max(state.epoch + 1, now);
}

/** Lets go of what `state` holds: the lock of its handoff, or its job (if any), settled without a result of its own. */
function finish(state: CoordinatorState, settlement: Settlement): CoordinatorEffect[] {
  if (state.phase === 'handoff') return [{ type: 'unlock', id: state.id }];
  if (!('job' in state)) return [];
  const { id } = state.job;
  return [{ type: 'unlock', id }, settle(id, settlement)];
}

function settle(id: number, settlement: Settlement): CoordinatorEffect {
  return { type: 'settle', id, settlement };
}

type Body = PeerMessage extends infer M ? (M extends PeerMessage ? Omit<M, 'v' | 'from' | 'gen' | 'round' | 'at'> : never) : never;

function post(state: CoordinatorState, config: CoordinatorConfig, now: number, body: Body): CoordinatorEffect {
  return { type: 'post', message: { v: 1, from: config.tab, gen: state.epoch, round: state.round, at: now, ...body } as PeerMessage };
}

function safeReason(reason: string): string {
  return REASON_PATTERN.test(reason) ? reason : 'refused';
}
