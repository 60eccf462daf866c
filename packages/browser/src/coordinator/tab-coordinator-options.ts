import type { Clock, Coordinator, FailureKind } from '@tokenward/core';
import type { Bus, LockPort } from './ports.js';
import type { CoordinatorTimings } from './state.js';

export interface TabCoordinatorOptions {
  /** Channel and lock name: tabs that share it share one session. Default `tokenward`. */
  name?: string;
  /** The session's clock and failure classification, so every tab reads results alike. */
  clock?: Clock;
  classifyError?: (error: unknown) => FailureKind | undefined;
  /** Cookie mode: no token shared or adopted carries an access token. */
  cookieMode?: boolean;
  timings?: Partial<CoordinatorTimings>;
  /** Default: the Web Locks API; where it is missing, a lock of this tab alone (see the README). */
  lock?: LockPort;
  /** Default: the platform `BroadcastChannel`. */
  bus?: Bus;
}

/** A `Coordinator` over a channel and a lock, with its end. */
export interface TabCoordinator extends Coordinator {
  /** This tab's id in the protocol. */
  readonly tab: string;
  /** Lets go of the lock, settles a refresh still waiting, then closes the channel. */
  close(): Promise<void>;
}
