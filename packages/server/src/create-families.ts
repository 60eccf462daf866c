import { randomToken, sha256 } from './crypto.js';
import { decideRefresh, provesKey, rotateRecord, startFamily, type FamilyPolicy } from './decide-refresh.js';
import { openChild, sealChild } from './grace-seal.js';
import type { FamilyRecord, RefreshStore, SessionMode } from './refresh-store.js';

/** A refresh token handed out: its family (as stored after the write) and the raw value. */
export interface Issued {
  family: FamilyRecord;
  token: string;
}

export type RefreshOutcome =
  | ({ kind: 'rotated' } & Issued)
  | ({ kind: 'grace' } & Issued)
  | { kind: 'reuse'; family: FamilyRecord }
  | { kind: 'invalid'; reason: 'unknown' | 'expired' | 'unsealable' | 'dpop_key' }
  | { kind: 'limited'; family: FamilyRecord; retryAfter: number };

export interface RefreshOptions {
  /** Asked once before a rotation: 0 lets it happen, else the seconds to wait (the family's rate limit). */
  admit?(family: FamilyRecord): number;
  /** The key thumbprint the request proved (DPoP): a bound family needs it to match; an unbound one is bound to it by the rotation. */
  jkt?: string;
}

export interface Families {
  /** `upstream`: the provider's tokens, sealed, when an OpenID provider signed the user in; `jkt`: the DPoP key bound at sign-in. */
  create(sub: string, claims: Record<string, unknown>, mode: SessionMode, upstream?: string, jkt?: string): Promise<Issued>;
  /** Rotation, grace or revocation of the presented token's family. */
  refresh(presented: string, options?: RefreshOptions): Promise<RefreshOutcome>;
  /** The family of any token it ever had, rotated or current. */
  find(presented: string): Promise<FamilyRecord | undefined>;
}

export interface FamiliesOptions {
  store: RefreshStore;
  policy: FamilyPolicy;
  clock: () => number;
}

// Each failed swap means another caller rotated first; after it the token is the parent, which
// decides without a swap. More failures than this mean a broken store, not contention.
const MAX_SWAPS = 8;

/**
 * Refresh-token families over any `RefreshStore`: the rotation is one compare-and-swap, so
 * concurrent refreshes of a token, on any number of instances, rotate it exactly once.
 *
 * @example
 * const families = createFamilies({ store, policy, clock: Date.now });
 * const outcome = await families.refresh(cookieValue);
 */
export function createFamilies({ store, policy, clock }: FamiliesOptions): Families {
  /** A new token and its hash; sealed under `parent` when a grace answer may need it. */
  async function child(parent?: string): Promise<{ token: string; hash: string; sealed: string | undefined }> {
    const token = randomToken();
    const [hash, sealed] = await Promise.all([sha256(token), parent !== undefined && policy.graceMs > 0 ? sealChild(parent, token) : undefined]);
    return { token, hash, sealed };
  }

  return {
    async create(sub, claims, mode, upstream, jkt) {
      const { token, hash } = await child();
      const start = { id: randomToken(16), sub, claims, mode, current: hash, ...(upstream === undefined ? {} : { upstream }), ...(jkt === undefined ? {} : { jkt }) };
      const family = startFamily(start, clock(), policy);
      await store.create(family);
      return { family, token };
    },
    async refresh(presented, { admit, jkt } = {}) {
      const [hash, next] = await Promise.all([sha256(presented), child(presented)]);
      let admitted = admit === undefined;
      for (let attempt = 0; attempt < MAX_SWAPS; attempt++) {
        const family = await store.findByToken(hash);
        const now = clock();
        const decision = decideRefresh(family, hash, now, policy);
        if (decision.kind === 'invalid') return decision;
        // Before anything else: without the family's key a token neither rotates nor revokes (see SECURITY.md).
        if (!provesKey(family!, jkt)) return { kind: 'invalid', reason: 'dpop_key' };
        if (decision.kind === 'reuse') {
          // A rotated token came back too late: someone kept a copy. Nobody keeps the session.
          await store.revokeFamily(family!.id);
          return { kind: 'reuse', family: family! };
        }
        if (decision.kind === 'grace') {
          // Opened with the presented parent, and checked against the stored hash of the child.
          const token = await openChild(presented, family!.sealed!);
          const current = token !== undefined && (await sha256(token)) === family!.current;
          return current ? { kind: 'grace', family: family!, token } : { kind: 'invalid', reason: 'unsealable' };
        }
        if (!admitted) {
          const retryAfter = admit!(family!);
          if (retryAfter > 0) return { kind: 'limited', family: family!, retryAfter };
          admitted = true;
        }
        const rotated = rotateRecord(family!, next, now, policy, jkt);
        if (await store.compareAndSwap(rotated, family!.version)) return { kind: 'rotated', family: rotated, token: next.token };
      }
      throw new Error(`refresh store: ${MAX_SWAPS} compare-and-swaps in a row failed`);
    },
    async find(presented) {
      return store.findByToken(await sha256(presented));
    },
  };
}
