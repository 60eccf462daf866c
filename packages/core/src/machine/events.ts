import type { TokenwardError } from '../errors.js';
import type { FailureKind, PeerAnnouncement, TokenSet } from '../types.js';

/**
 * What can happen to a session. Time (`now`) and randomness (`rand`, in [0, 1)) enter as data,
 * so the transition stays pure.
 */
export type MachineEvent =
  /** A caller wants a token valid for `minValidityMs` more. */
  | { type: 'request'; now: number; minValidityMs: number }
  /** `refresh()` was called. */
  | { type: 'refresh'; now: number }
  /** A timer fired or the page woke up: re-check the clock. */
  | { type: 'tick'; now: number }
  | { type: 'connectivity'; now: number; online: boolean }
  | { type: 'refreshed'; now: number; attempt: number; token: TokenSet; rand: number }
  | { type: 'failed'; now: number; attempt: number; error: TokenwardError; kind: FailureKind; retryAfterMs: number | undefined; rand: number }
  | { type: 'sign-in'; now: number; token: TokenSet; rand: number }
  | { type: 'sign-out'; now: number }
  /** A request made with token `tokenId` was answered 401. */
  | { type: 'invalidate'; now: number; tokenId: number }
  /** Another tab announced something; a token it shares is numbered `id` here. In `cookieMode` no token carries an access token. */
  | { type: 'peer'; now: number; message: PeerAnnouncement; id: number; cookieMode: boolean; rand: number };
