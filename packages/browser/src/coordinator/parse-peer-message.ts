import type { SharedToken } from '@tokenward/core';
import { ACCESS_TOKEN_PATTERN, REASON_PATTERN, TOKEN_TYPE_PATTERN, isRecord } from '@tokenward/core/internal';

/** The token fields a tab shares: never a refresh token (it lives in an HttpOnly cookie), never a local id. */
export type PeerToken = SharedToken;

interface Envelope<T extends string> {
  /** Protocol version: a tab running another version ignores this one's messages. */
  v: 1;
  type: T;
  /** The sending tab. */
  from: string;
  /** The sender's session epoch (ms on the shared clock, or one past the last it heard): set at every sign-in, sign-out and expiry. */
  gen: number;
  /** The sender's lock round: one more each time a holder was found stuck (frozen). Absent means 0. */
  round?: number;
  /** When it was sent (epoch ms). */
  at: number;
}

/**
 * What tabs say to each other. `hello`: a new tab asks for a live token (answered with `tokens`, or
 * without one by a `hello` to it, so that it takes the others' epoch and lock round). `locked`: the lock moved (a
 * tab got it, or let go of it without a result), so waiters restart their count of a stuck holder. `tokens`: a refresh result,
 * a sign-in, or an answer to `hello` (`to`). `failed`: a refresh failed and may be retried later.
 * `signed-out` and `expired` end the session everywhere. Exclusion is the lock's job, not a message's.
 */
export type PeerMessage =
  | (Envelope<'hello'> & { to?: string })
  | Envelope<'locked'>
  | Envelope<'signed-out'>
  | (Envelope<'tokens'> & { token: PeerToken; signedIn: boolean; to?: string })
  | (Envelope<'failed'> & { retryAfterMs?: number })
  | (Envelope<'expired'> & { reason: string });

export type PeerMessageType = PeerMessage['type'];

/**
 * `hello`, `locked` and `failed` older than this were queued while a tab slept or froze: their news is gone.
 * Announcements (`tokens`, `signed-out`, `expired`) stay news at any age: a frozen tab must still
 * learn of a sign-out when it resumes; the generation tells stale ones apart.
 */
const MAX_AGE_MS = 10_000;
/** The tabs of a browser share its clock: a message stamped later than this ahead was not sent by one. */
const MAX_AHEAD_MS = 1_000;
const ANNOUNCEMENTS = new Set<unknown>(['tokens', 'signed-out', 'expired']);
const count: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 0;

type Check = (value: unknown) => boolean;

const text = (pattern: RegExp): Check => (value) => typeof value === 'string' && pattern.test(value);
const optional = (check: Check): Check => (value) => value === undefined || check(value);
/** Finite and not negative (NaN fails too). */
const time: Check = (value) => typeof value === 'number' && value >= 0 && value < Infinity;
const id = text(/^[\w-]{1,64}$/);

const ENVELOPE: Record<string, Check> = { v: (value) => value === 1, type: () => true, from: id, gen: count, round: optional(count), at: time };
const TOKEN: Record<string, Check> = {
  accessToken: optional(text(ACCESS_TOKEN_PATTERN)),
  tokenType: text(TOKEN_TYPE_PATTERN),
  expiresAt: time,
  obtainedAt: time,
  scope: optional(text(/^[^]{0,1024}$/)),
};
/** The keys each type adds to the envelope. A Map: a `type` of `constructor` must find nothing. */
const TYPES = new Map<unknown, Record<string, Check>>([
  ['hello', { to: optional(id) }],
  ['locked', {}],
  ['signed-out', {}],
  ['tokens', { token: (value) => matches(value, TOKEN) && (value as PeerToken).expiresAt > (value as PeerToken).obtainedAt, signedIn: (value) => typeof value === 'boolean', to: optional(id) }],
  ['failed', { retryAfterMs: optional(time) }],
  ['expired', { reason: text(REASON_PATTERN) }],
]);

/**
 * Validates a message received from another tab: anything malformed, oversized (unknown keys, long
 * fields), of another version, from the future, or (`hello`, `locked`, `failed`) older than a few seconds
 * yields undefined. Another tab's code is not trusted with anything else.
 * @example
 * channel.addEventListener('message', (data) => {
 *   const message = parsePeerMessage(data, Date.now());
 *   if (message) handle(message);
 * });
 */
export function parsePeerMessage(data: unknown, now: number): PeerMessage | undefined {
  const shape = isRecord(data) && TYPES.get(data.type);
  if (!shape || !matches(data, { ...ENVELOPE, ...shape })) return undefined;
  const age = now - (data.at as number);
  return age >= -MAX_AHEAD_MS && (age <= MAX_AGE_MS || ANNOUNCEMENTS.has(data.type)) ? (data as unknown as PeerMessage) : undefined;
}

/** Known keys only, each checked (a missing one as undefined) and bounded: no message exceeds about 66 KiB. */
function matches(value: unknown, shape: Record<string, Check>): boolean {
  return isRecord(value) && Object.keys(value).every((key) => Object.hasOwn(shape, key)) && Object.keys(shape).every((key) => shape[key]!(value[key]));
}
