import type { FamilyRecord, RefreshStore } from './refresh-store.js';

interface Entry {
  record: FamilyRecord;
  hashes: string[];
}

/**
 * The in-process `RefreshStore`: one server instance, sessions lost on restart. Every method
 * reads and writes in one synchronous step (no await in between), which is what makes its
 * compare-and-swap atomic on a single event loop. Several instances need a shared store.
 *
 * @example
 * const auth = createAuthHandler({ store: createMemoryStore(), authenticate, issuer, audience });
 */
export function createMemoryStore(): RefreshStore & { readonly size: number } {
  const families = new Map<string, Entry>();
  const tokens = new Map<string, string>();
  const bySub = new Map<string, Set<string>>();
  const leases = new Map<string, { holder: string; until: number }>();

  function remove(entry: Entry): void {
    for (const hash of entry.hashes) tokens.delete(hash);
    families.delete(entry.record.id);
    leases.delete(entry.record.id);
    const ids = bySub.get(entry.record.sub);
    ids?.delete(entry.record.id);
    if (ids?.size === 0) bySub.delete(entry.record.sub);
  }

  // Records are frozen copies: a caller cannot change what is stored by mutating an answer. The
  // claims are cloned once, at creation: a rotation passes the stored (frozen) object back.
  const freeze = (record: FamilyRecord, claims = deepFreeze(structuredClone(record.claims))): FamilyRecord => Object.freeze({ ...record, claims });

  return {
    get size() {
      return families.size;
    },
    async create(record) {
      if (families.has(record.id) || tokens.has(record.current)) throw new Error('refresh store: family or token already exists');
      families.set(record.id, { record: freeze(record), hashes: [record.current] });
      tokens.set(record.current, record.id);
      const ids = bySub.get(record.sub) ?? new Set<string>();
      bySub.set(record.sub, ids.add(record.id));
    },
    async findByToken(hash) {
      const id = tokens.get(hash);
      return id === undefined ? undefined : families.get(id)?.record;
    },
    async compareAndSwap(next, expectedVersion) {
      const entry = families.get(next.id);
      if (!entry || entry.record.version !== expectedVersion) return false;
      entry.record = freeze(next, next.claims === entry.record.claims ? entry.record.claims : undefined);
      if (!tokens.has(next.current)) {
        tokens.set(next.current, next.id);
        entry.hashes.push(next.current);
      }
      return true;
    },
    async revokeFamily(id) {
      const entry = families.get(id);
      if (entry) remove(entry);
      return entry !== undefined;
    },
    async revokeUser(sub) {
      const ids = [...(bySub.get(sub) ?? [])];
      for (const id of ids) remove(families.get(id)!);
      return ids.length;
    },
    async claimUpstream(familyId, holder, until, now) {
      const lease = leases.get(familyId);
      if (lease && lease.holder !== holder && lease.until > now) return false;
      leases.set(familyId, { holder, until });
      return true;
    },
    async releaseUpstream(familyId, holder) {
      if (leases.get(familyId)?.holder === holder) leases.delete(familyId);
    },
    async prune(now) {
      for (const [id, lease] of leases) if (lease.until <= now) leases.delete(id);
      let pruned = 0;
      for (const entry of [...families.values()]) {
        if (entry.record.expiresAt <= now) {
          remove(entry);
          pruned += 1;
        } else if (entry.record.sealed !== undefined && (entry.record.sealedUntil ?? 0) <= now) {
          entry.record = freeze({ ...entry.record, sealed: undefined, sealedUntil: undefined }, entry.record.claims);
        }
      }
      return pruned;
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
