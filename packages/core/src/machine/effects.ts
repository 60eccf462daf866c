import type { TokenwardError } from '../errors.js';
import type { PeerAnnouncement, RefreshReason, SessionEventName, SessionEvents, TokenSet } from '../types.js';

/** One event to emit, typed by name. */
export type Emission = { [E in SessionEventName]: { type: 'emit'; event: E; payload: SessionEvents[E] } }[SessionEventName];

/** What the machine asks the runtime to do. Data only; the runtime executes them in order. */
export type Effect =
  /** Arm the single wake-up timer at `at` (epoch ms), or disarm it. */
  | { type: 'schedule'; at: number | undefined }
  | { type: 'start-refresh'; attempt: number; reason: RefreshReason; current: TokenSet | undefined }
  /** Abort the refresh in flight; its result will be stale anyway. */
  | { type: 'abort-refresh' }
  /** Settle every waiter: with the current token, or with `error`. */
  | { type: 'settle'; error: TokenwardError | undefined }
  /** Answer the caller of `request` or `refresh`: use the current token, wait, or fail. */
  | { type: 'reply'; reply: 'token' | 'wait' | TokenwardError }
  | Emission
  | { type: 'announce'; message: PeerAnnouncement };
