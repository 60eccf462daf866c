import type { Clock, Coordinator, FailureKind } from '@tokenward/core';

/** How long each step of the protocol waits, in ms. */
export interface CoordinatorTimings {
  /** A new tab waits this long for a peer's live token before it refreshes. Default 150. */
  helloMs: number;
  /** A claim waits this long for competing claims; the earliest claim wins. Default 100. */
  contentionMs: number;
  /** The holder beats this often while its refresh is in flight. Default 500. */
  beatMs: number;
  /** A holder silent this long is gone (closed, frozen, discarded) unless it answers a claim: the others take over. Default 2500. */
  leaseMs: number;
}

export interface TabCoordinatorOptions {
  /** Channel name: tabs that share it share one session. Default `tokenward`. */
  name?: string;
  /** broadcast-channel method: `native` (default, the browser's BroadcastChannel) or `simulate` (in-process, tests). */
  type?: 'native' | 'simulate';
  /** The session's clock and failure classification, so every tab reads results alike. */
  clock?: Clock;
  classifyError?: (error: unknown) => FailureKind | undefined;
  timings?: Partial<CoordinatorTimings>;
}

/** A `Coordinator` over a channel, with the channel's end. */
export interface TabCoordinator extends Coordinator {
  /** This tab's id in the protocol. */
  readonly tab: string;
  /** Releases a refresh this tab holds, then closes the channel. */
  close(): Promise<void>;
}

export const DEFAULT_TIMINGS: CoordinatorTimings = { helloMs: 150, contentionMs: 100, beatMs: 500, leaseMs: 2500 };
