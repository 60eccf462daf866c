import type { PeerAnnouncement, SharedToken } from '@tokenward/core';
import type { PeerMessage } from './parse-peer-message.js';

/** How a refresh this tab ran ended, as the runtime read it with the core's rules. */
export type Outcome =
  /** The token as the core read it: the machine shares its public fields only. */
  | { kind: 'token'; token: SharedToken }
  | { kind: 'failed'; retryAfterMs: number | undefined }
  | { kind: 'expired'; reason: string }
  /** Aborted by the session (sign-out, dispose, its timeout): nothing to tell. */
  | { kind: 'aborted' };

/** What can happen to a tab's coordinator. Time enters as data, so the transition stays pure. */
export type CoordinatorEvent =
  /** The session hands over refresh `id`, to replace the token expiring at `replaces`. */
  | { type: 'request'; now: number; id: number; replaces: number | undefined }
  /** The session no longer waits for refresh `id` (aborted). */
  | { type: 'cancel'; now: number; id: number }
  | { type: 'tick'; now: number }
  | { type: 'granted'; now: number; id: number }
  | { type: 'settled'; now: number; id: number; outcome: Outcome }
  /** A validated message from another tab. */
  | { type: 'message'; now: number; message: PeerMessage }
  /** The local session tells its peers something (sign-in, sign-out, expiry). */
  | { type: 'announce'; now: number; message: PeerAnnouncement }
  | { type: 'close'; now: number };
