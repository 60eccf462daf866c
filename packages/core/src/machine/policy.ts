import type { RefreshPolicy, TokenSet } from '../types.js';

export const defaultPolicy: RefreshPolicy = {
  leadMs: 30_000,
  leadFraction: 0.1,
  jitterFraction: 0.2,
  backoffMs: 1_000,
  maxBackoffMs: 60_000,
  timeoutMs: 10_000,
};

/**
 * When to refresh `token` ahead of expiry: lead = max(leadMs, leadFraction * lifetime), capped at
 * half the lifetime (so short tokens never refresh in a loop), minus up to `jitterFraction` of it.
 */
export function refreshAtFor(token: TokenSet, policy: RefreshPolicy, rand: number): number {
  const lifetime = Math.max(0, token.expiresAt - token.obtainedAt);
  const lead = Math.min(Math.max(policy.leadMs, policy.leadFraction * lifetime), lifetime / 2);
  return token.expiresAt - lead * (1 - policy.jitterFraction * rand);
}

/** The longest `Retry-After` honoured: a longer one is a misconfiguration, not advice. */
const MAX_RETRY_AFTER_MS = 15 * 60_000;

/**
 * Floors no policy can go under: a failing endpoint sees at most a few calls a second whatever
 * `backoffMs` and `maxBackoffMs` say (0 once meant hundreds a second).
 */
const MIN_BACKOFF_MS = 50;
const MIN_MAX_BACKOFF_MS = 1_000;

/**
 * Full-jitter exponential backoff (from `backoffMs`, at least 50 ms, doubling to `maxBackoffMs`, at
 * least 1 s), never under a quarter of the ceiling nor sooner than the server's `Retry-After` (up to
 * 15 minutes).
 */
export function backoffDelay(failures: number, policy: RefreshPolicy, rand: number, retryAfterMs?: number): number {
  const base = Math.max(policy.backoffMs, MIN_BACKOFF_MS);
  const ceiling = Math.min(Math.max(policy.maxBackoffMs, MIN_MAX_BACKOFF_MS), base * 2 ** Math.min(failures - 1, 30));
  // NaN fails the comparison: a hostile value (NaN, Infinity, 1e23) must not park the session for good.
  const asked = (retryAfterMs ?? 0) > 0 ? Math.min(retryAfterMs!, MAX_RETRY_AFTER_MS) : 0;
  return Math.max(asked, ceiling * rand, ceiling / 4, MIN_BACKOFF_MS);
}
