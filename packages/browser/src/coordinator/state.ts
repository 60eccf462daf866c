import type { SharedToken } from '@tokenward/core';

/** How long each step of the protocol may take, in ms. */
export interface CoordinatorTimings {
  /** A new tab waits this long for a peer's live token before it asks for the lock. Default 150. */
  helloMs: number;
  /** A refresh holds the lock at most this long (the session's refresh timeout). Default 10000. */
  refreshTimeoutMs: number;
  /**
   * After posting its result, the holder keeps the lock this long, so the result reaches the waiters
   * before the lock does (a lock grant and a message travel separately). Waiters settle on the
   * message, not the lock, so this costs them nothing; it covers slow delivery on a throttled CPU. Default 500.
   */
  handoffMs: number;
  /**
   * A tab waits this long for the lock; a holder silent past it is stuck (frozen), and the waiters move
   * to the next lock round. Default: the refresh timeout plus 2 s.
   */
  lockWaitMs: number;
}

/** What the machine is told once: this tab's id, the session's mode, the timings. */
export interface CoordinatorConfig extends CoordinatorTimings {
  tab: string;
  /** Cookie mode: no token this tab shares or adopts carries an access token. */
  cookieMode: boolean;
}

/** One refresh the session handed over: `replaces` is the expiry of the token it wants replaced. */
export interface Job {
  readonly id: number;
  readonly replaces: number | undefined;
  /** When it began, and the epoch then: a result after a sign-out or expiry is not news. */
  readonly at: number;
  readonly epoch: number;
}

/**
 * Where this tab's side of the protocol stands. `idle`: no refresh asked for. `hello`: a new tab waits
 * for a peer's live token. `waiting`: the lock of `round` is requested. `holding`: the lock is held and
 * the refresh is in flight, until `until` at the latest (the refresh timeout). `handoff`: the result is
 * posted and the lock (still held for refresh `id`) goes at `until`. `closed`: the tab went away.
 */
export type Phase =
  | { readonly phase: 'idle' }
  | { readonly phase: 'hello'; readonly job: Job }
  | { readonly phase: 'waiting'; readonly job: Job }
  | { readonly phase: 'holding'; readonly job: Job; readonly until: number }
  | { readonly phase: 'handoff'; readonly id: number; readonly until: number }
  | { readonly phase: 'closed' };

/** What the tab knows of the session all tabs share. Plain data, bounded: no maps, no lists. */
export interface Knowledge {
  /** The latest session epoch heard (ms on the shared wall clock): older announcements are history. */
  readonly epoch: number;
  /** The lock round: the lock is named after it, and it moves on when a holder is stuck. */
  readonly round: number;
  /** The newest live token heard or obtained: what a waiter adopts, and what a new tab is told. */
  readonly own: SharedToken | undefined;
  /** The last end this tab told the others of, so the session's own echo of it is not posted twice. */
  readonly ended: 'signed-out' | 'expired' | undefined;
  /** Until when a `request` waits for answers to this tab's `hello`. */
  readonly helloUntil: number;
  /**
   * Since when this tab has asked for the lock of `round` without getting it, across refreshes (a
   * session that timed out waiting asks again after its backoff): the measure of a stuck holder.
   */
  readonly blockedSince: number | undefined;
  /** How late peers' messages arrive lately (ms, decaying): a throttled CPU delays them, and the handoff outlasts it. */
  readonly lag: number;
}

export type CoordinatorState = Knowledge & Phase;

/** A tab that just opened: it has posted `hello` and heard nothing yet. */
export function initialCoordinatorState(now: number, config: CoordinatorTimings): CoordinatorState {
  return { phase: 'idle', epoch: 0, round: 0, own: undefined, ended: undefined, helloUntil: now + config.helloMs, blockedSince: undefined, lag: 0 };
}

/** The knowledge of `state` without its phase: what a phase change keeps. */
export function knowledge(state: CoordinatorState): Knowledge {
  // Every field but the phase's own (Phase lists them all).
  const { phase: _phase, job: _job, id: _id, until: _until, ...known } = state as CoordinatorState & { job?: Job; id?: number; until?: number };
  return known;
}

/** The defaults; `lockWaitMs` follows the refresh timeout (plus 2 s). */
export const DEFAULT_TIMINGS: Omit<CoordinatorTimings, 'lockWaitMs'> = { helloMs: 150, refreshTimeoutMs: 10_000, handoffMs: 500 };
