/** How a family answers: the access token in the body (bearer) or in an HttpOnly cookie (cookie). */
export type SessionMode = 'bearer' | 'cookie';

/**
 * One sign-in and every refresh token descending from it by rotation. Stores keep it as an
 * opaque value: only `id`, `sub`, `version`, `current`, `expiresAt` (and `sealedUntil`, optionally)
 * are ever read by a store. Times are milliseconds since the epoch.
 */
export interface FamilyRecord {
  readonly id: string;
  /** The user, as `authenticate` named them. */
  readonly sub: string;
  /** Custom access-token claims from `authenticate` (roles, scope...), re-issued on every refresh. */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly mode: SessionMode;
  readonly createdAt: number;
  /** `createdAt + absoluteTtl`: the session ends then, whatever its activity. */
  readonly absoluteExpiresAt: number;
  /** `min(last rotation + idleTtl, absoluteExpiresAt)`. Past it the family is dead and may be pruned. */
  readonly expiresAt: number;
  /** Starts at 1; every write adds exactly 1. The compare-and-swap compares it. */
  readonly version: number;
  /** SHA-256 (base64url) of the current refresh token. */
  readonly current: string;
  /** SHA-256 of the token `current` replaced, and when: the only token a grace answer is for. */
  readonly previous?: string;
  readonly rotatedAt?: number;
  /** The current token sealed under a key only the holder of `previous` can derive, for grace answers until `sealedUntil`. */
  readonly sealed?: string;
  readonly sealedUntil?: number;
  /**
   * With DPoP: the RFC 7638 thumbprint of the key the session is bound to. Set once (at the login
   * or the first refresh that carried a proof) and kept by every rotation: a refresh without a
   * proof of this key is refused, so the refresh cookie alone is useless.
   */
  readonly jkt?: string;
  /** With an OpenID upstream: the provider's tokens, encrypted (JWE dir/A256GCM) under the upstream's key. */
  readonly upstream?: string;
}

/**
 * Where refresh-token families live. One rule carries all of the security: **every rotation
 * is one atomic compare-and-swap on the family** (`compareAndSwap`), so of any number of
 * concurrent refreshes of one token, across any number of server instances, exactly one
 * rotates and the others see the rotation (and get the grace answer or revoke the family).
 *
 * The contract, checked by `testStore` from `@tokenward/server/conformance`:
 * - `create` stores a new family and indexes its `current` hash.
 * - `findByToken(hash)` returns the family for **every** hash it ever had as `current` (rotated
 *   ones included, until the family is deleted): that is how a replayed old token is recognised.
 * - `compareAndSwap(next, expectedVersion)` replaces the family with `next` and indexes
 *   `next.current` if and only if the stored version equals `expectedVersion` and the family
 *   still exists; otherwise it changes nothing and resolves `false`. Atomically: two calls with
 *   the same `expectedVersion` never both resolve `true`.
 * - `revokeFamily(id)` deletes the family and every token hash of it; `revokeUser(sub)` does so
 *   for each family of `sub` and resolves how many.
 * - `prune(now)` deletes each family whose `expiresAt <= now` with its hashes and resolves how
 *   many; it may drop `sealed` once `sealedUntil <= now`, and never changes `version`.
 * - Records come back as values: mutating a returned object changes nothing stored.
 * - `claimUpstream(id, holder, until, now)` and `releaseUpstream(id, holder)` (optional, together;
 *   see `UpstreamLease`) make the OpenID provider's refresh single-flight across instances.
 */
export interface RefreshStore extends Partial<UpstreamLease> {
  create(record: FamilyRecord): Promise<void>;
  findByToken(hash: string): Promise<FamilyRecord | undefined>;
  compareAndSwap(next: FamilyRecord, expectedVersion: number): Promise<boolean>;
  revokeFamily(id: string): Promise<boolean>;
  revokeUser(sub: string): Promise<number>;
  prune(now: number): Promise<number>;
  /** Releases connections, if the store holds any. */
  close?(): Promise<void>;
}

/**
 * A per-family lease on the provider's refresh (the OpenID upstream): the provider rotates its
 * refresh tokens, so two instances refreshing one family at once would be a reuse at the provider.
 * A store without it keeps the provider refresh single-flight per instance only. The contract:
 * - `claimUpstream(id, holder, until, now)` resolves `true` and records `holder`'s lease until
 *   `until` if no lease of another holder runs at `now` (one ends once `now >= until`, so a crashed
 *   holder blocks the family only until then); the same holder may claim again (extend). Atomically:
 *   of concurrent claims while no lease runs, exactly one resolves `true`.
 * - `releaseUpstream(id, holder)` ends `holder`'s lease and leaves another holder's untouched.
 * - `revokeFamily` and `prune` may drop the family's lease with it.
 *
 * @example
 * if (await store.claimUpstream(family.id, holder, now + 15_000, now)) {
 *   try { await refreshAtProvider(family); } finally { await store.releaseUpstream(family.id, holder); }
 * }
 */
export interface UpstreamLease {
  claimUpstream(familyId: string, holder: string, until: number, now: number): Promise<boolean>;
  releaseUpstream(familyId: string, holder: string): Promise<void>;
}
