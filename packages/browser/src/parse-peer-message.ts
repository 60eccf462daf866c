/** The token fields a tab shares: never a refresh token (it lives in an HttpOnly cookie). */
export interface PeerToken {
  accessToken?: string;
  tokenType: string;
  /** Expiry on the shared wall clock (epoch ms). */
  expiresAt: number;
  obtainedAt: number;
  scope?: string;
}

interface Envelope<T extends string> {
  /** Protocol version: a tab running another version ignores this one's messages. */
  v: 1;
  type: T;
  /** The sending tab. */
  from: string;
  /** The sender's session generation: it grows at every sign-in, sign-out and expiry. */
  gen: number;
  /** When it was sent (epoch ms). */
  at: number;
}

/**
 * What tabs say to each other. `hello`: a new tab asks for a live token. `claim`: a tab wants to
 * refresh. `beat`: the holder's refresh is still in flight (also its answer to a claim or hello).
 * `release`: the holder went away without a result. `tokens`: a refresh result, a sign-in, or
 * an answer to `hello` (`to`). `failed`: the holder's refresh failed and may be retried later.
 * `signed-out` and `expired` end the session everywhere.
 */
export type PeerMessage =
  | Envelope<'hello' | 'claim' | 'beat' | 'release' | 'signed-out'>
  | (Envelope<'tokens'> & { token: PeerToken; signedIn: boolean; to?: string })
  | (Envelope<'failed'> & { retryAfterMs?: number })
  | (Envelope<'expired'> & { reason: string });

export type PeerMessageType = PeerMessage['type'];

/** Older messages were queued while a tab slept or froze; their news is gone. */
const MAX_AGE_MS = 10_000;

const ENVELOPE = ['v', 'type', 'from', 'gen', 'at'];
/** The keys each type adds to the envelope. A Map: a `type` of `constructor` must find nothing. */
const EXTRA = new Map<string, string[]>([
  ...['hello', 'claim', 'beat', 'release', 'signed-out'].map((type): [string, string[]] => [type, []]),
  ['tokens', ['token', 'signedIn', 'to']],
  ['failed', ['retryAfterMs']],
  ['expired', ['reason']],
]);
const TOKEN_KEYS = new Set(['accessToken', 'tokenType', 'expiresAt', 'obtainedAt', 'scope']);
const ID = /^[\w-]{1,64}$/;

/**
 * Validates a message received from another tab: anything malformed, oversized (unknown keys, long
 * fields), of another version, or older than a few seconds yields undefined. Another tab's code is
 * not trusted with anything else.
 * @example
 * channel.addEventListener('message', (data) => {
 *   const message = parsePeerMessage(data, Date.now());
 *   if (message) handle(message);
 * });
 */
export function parsePeerMessage(data: unknown, now: number): PeerMessage | undefined {
  if (!isRecord(data) || data.v !== 1 || typeof data.type !== 'string') return undefined;
  const { type, from, gen, at } = data;
  const extra = EXTRA.get(type);
  if (!extra || !Object.keys(data).every((key) => ENVELOPE.includes(key) || extra.includes(key))) return undefined;
  if (typeof from !== 'string' || !ID.test(from) || !Number.isSafeInteger(gen) || (gen as number) < 0) return undefined;
  if (typeof at !== 'number' || !(Math.abs(now - at) <= MAX_AGE_MS)) return undefined;
  if (type === 'tokens' && !(isToken(data.token) && typeof data.signedIn === 'boolean' && (data.to === undefined || (typeof data.to === 'string' && ID.test(data.to))))) return undefined;
  if (type === 'failed' && data.retryAfterMs !== undefined && !isNonNegative(data.retryAfterMs)) return undefined;
  if (type === 'expired' && !(typeof data.reason === 'string' && /^[\w.:-]{1,64}$/.test(data.reason))) return undefined;
  // Known keys only, each bounded: no message can be larger than about 18 KiB.
  return data as unknown as PeerMessage;
}

function isToken(value: unknown): value is PeerToken {
  if (!isRecord(value) || !Object.keys(value).every((key) => TOKEN_KEYS.has(key))) return false;
  const { accessToken, tokenType, expiresAt, obtainedAt, scope } = value;
  return (
    (accessToken === undefined || (typeof accessToken === 'string' && /^[\x21-\x7e]{1,16384}$/.test(accessToken))) &&
    typeof tokenType === 'string' &&
    /^[\w.-]{1,63}$/.test(tokenType) &&
    isNonNegative(obtainedAt) &&
    isNonNegative(expiresAt) &&
    expiresAt > obtainedAt &&
    (scope === undefined || (typeof scope === 'string' && scope.length <= 1024))
  );
}

function isNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
