import type { FamilyRecord } from './refresh-store.js';

export interface FamilyPolicy {
  /** How long after its rotation the parent token still gets the current child. 0: never. */
  graceMs: number;
  /** Sliding: a family unused this long is dead. */
  idleMs: number;
  /** Absolute: a family this old is dead, however active. */
  absoluteMs: number;
}

/** What a presented refresh token deserves, decided from the family alone. */
export type RefreshDecision =
  | { kind: 'rotate' }
  | { kind: 'grace' }
  | { kind: 'reuse' }
  | { kind: 'invalid'; reason: 'unknown' | 'expired' };

/**
 * The whole rotation policy as a pure function: the current token rotates; its parent, within
 * `graceMs` of the rotation, gets the grace answer (a tab that missed the news); any other token
 * of the family is a replayed copy, so the family is revoked.
 *
 * @example
 * const decision = decideRefresh(await store.findByToken(hash), hash, Date.now(), policy);
 */
export function decideRefresh(
  family: FamilyRecord | undefined,
  presentedHash: string,
  now: number,
  policy: FamilyPolicy,
): RefreshDecision {
  if (!family) return { kind: 'invalid', reason: 'unknown' };
  if (family.expiresAt <= now) return { kind: 'invalid', reason: 'expired' };
  if (presentedHash === family.current) return { kind: 'rotate' };
  const inGrace =
    presentedHash === family.previous &&
    family.rotatedAt !== undefined &&
    now - family.rotatedAt < policy.graceMs &&
    family.sealed !== undefined;
  return inGrace ? { kind: 'grace' } : { kind: 'reuse' };
}

/**
 * Whether a request that proved `jkt` (or none) may act for `family`: an unbound family for anyone
 * holding its cookie, a DPoP-bound one only with a proof of its key. Checked before anything is
 * done for the family: a rotation, a grace answer, a coalesced answer, a provider refresh.
 */
export function provesKey(family: Pick<FamilyRecord, 'jkt'>, jkt: string | undefined): boolean {
  return family.jkt === undefined || family.jkt === jkt;
}

/** A new family's first record. */
export function startFamily(
  start: Pick<FamilyRecord, 'id' | 'sub' | 'claims' | 'mode' | 'current' | 'upstream' | 'jkt'>,
  now: number,
  policy: FamilyPolicy,
): FamilyRecord {
  const absoluteExpiresAt = now + policy.absoluteMs;
  return { ...start, createdAt: now, absoluteExpiresAt, expiresAt: Math.min(now + policy.idleMs, absoluteExpiresAt), version: 1 };
}

/** The record after one rotation: the idle deadline slides, the absolute one never moves; a DPoP key binds an unbound family. */
export function rotateRecord(
  family: FamilyRecord,
  child: { hash: string; sealed: string | undefined },
  now: number,
  policy: FamilyPolicy,
  jkt?: string,
): FamilyRecord {
  const keepSealed = policy.graceMs > 0 && child.sealed !== undefined;
  return {
    ...family,
    jkt: family.jkt ?? jkt,
    version: family.version + 1,
    previous: family.current,
    rotatedAt: now,
    current: child.hash,
    sealed: keepSealed ? child.sealed : undefined,
    sealedUntil: keepSealed ? now + policy.graceMs : undefined,
    expiresAt: Math.min(now + policy.idleMs, family.absoluteExpiresAt),
  };
}
