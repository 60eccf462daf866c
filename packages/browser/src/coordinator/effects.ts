import type { PeerAnnouncement, SharedToken } from '@tokenward/core';
import type { PeerMessage } from './parse-peer-message.js';

/** How the promise of refresh `id` settles. */
export type Settlement =
  /** With what this tab's own refresh returned or threw (the runtime holds it). */
  | { kind: 'outcome' }
  /** With a peer's token that already replaced the one the session wanted replaced. */
  | { kind: 'token'; token: SharedToken }
  /** Without a token: a peer's refresh failed (`failed`), the session ended (`ended`), another refresh replaced it (`superseded`). */
  | { kind: 'failed'; retryAfterMs?: number }
  | { kind: 'ended' | 'superseded' };

/** What the machine asks the runtime to do. Data only; the runtime executes them in order. */
export type CoordinatorEffect =
  | { type: 'post'; message: PeerMessage }
  /** Arm the single wake-up timer at `at` (epoch ms), or disarm it. */
  | { type: 'schedule'; at: number | undefined }
  /** Ask for the lock of `round` on behalf of refresh `id`; `granted` follows. */
  | { type: 'lock'; id: number; round: number }
  /** Release the lock refresh `id` holds, or withdraw its request. */
  | { type: 'unlock'; id: number }
  /** Run the session's refresher for refresh `id`; `settled` follows. */
  | { type: 'run'; id: number }
  /** Tell the local session what a peer announced. */
  | { type: 'deliver'; message: PeerAnnouncement }
  | { type: 'settle'; id: number; settlement: Settlement };
