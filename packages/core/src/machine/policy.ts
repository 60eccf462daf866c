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

/** Full-jitter exponential backoff, never sooner than the server's `Retry-After` (up to 15 minutes). */
export function backoffDelay(failures: number, policy: RefreshPolicy, rand: number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.min(failures - 1, 30));
  // NaN fails the comparison: a hostile value (NaN, Infinity, 1e23) must not park the session for good.
  const asked = (retryAfterMs ?? 0) > 0 ? Math.min(retryAfterMs!, MAX_RETRY_AFTER_MS) : 0;
  // A small floor keeps a zero draw from turning into an immediate retry.
  return Math.max(asked, Math.max(ceiling * rand, Math.min(50, ceiling)));
}
