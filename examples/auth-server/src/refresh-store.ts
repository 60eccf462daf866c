import { randomToken, sha256 } from './crypto.js';

export type SessionMode = 'bearer' | 'cookie';

/** One sign-in: every refresh token descending from it by rotation belongs to it. */
export interface Family {
  readonly id: string;
  readonly username: string;
  readonly role: string;
  readonly mode: SessionMode;
}

interface FamilyState extends Family {
  hashes: Set<string>;
  currentHash: string;
  currentExpiresAt: number;
  /**
   * The current token in clear: the only raw refresh token the server holds, kept for
   * `graceMs` after it was issued so a grace reuse can re-send it; the next rotation or
   * sweep wipes it.
   * (A production server would keep it encrypted, or in a cache with that TTL.)
   */
  currentRaw: string | undefined;
  rawUntil: number;
}

interface TokenRecord {
  familyId: string;
  expiresAt: number;
  rotatedAt: number | undefined;
}

export interface IssuedToken {
  family: Family;
  token: string;
  expiresAt: number;
}

export type RefreshOutcome =
  | ({ kind: 'rotated' } & IssuedToken)
  | ({ kind: 'grace' } & IssuedToken)
  | { kind: 'reuse'; family: Family }
  | { kind: 'invalid' };

export interface RefreshStoreOptions {
  refreshTtlMs: number;
  graceMs: number;
  clock: () => number;
}

const PRUNE_EVERY_MS = 60_000;

/**
 * Refresh-token families in memory, keyed by SHA-256 of the token. Every await (hashing)
 * happens before the state is read, so each operation reads and writes in one
 * synchronous step: two concurrent refreshes of one token cannot both rotate it.
 * Revoking deletes the family and its tokens; a deleted token is simply unknown.
 */
export class RefreshStore {
  readonly #families = new Map<string, FamilyState>();
  readonly #tokens = new Map<string, TokenRecord>();
  readonly #options: RefreshStoreOptions;
  #nextPruneAt = 0;

  constructor(options: RefreshStoreOptions) {
    this.#options = options;
  }

  async create(username: string, role: string, mode: SessionMode): Promise<IssuedToken> {
    const [token, hash] = await fresh();
    const now = this.#now();
    const family: FamilyState = {
      id: randomToken(16), username, role, mode,
      hashes: new Set(), currentHash: '', currentExpiresAt: 0, currentRaw: undefined, rawUntil: 0,
    };
    this.#families.set(family.id, family);
    return this.#issue(family, token, hash, now);
  }

  async refresh(presented: string): Promise<RefreshOutcome> {
    const [presentedHash, [token, hash]] = await Promise.all([sha256(presented), fresh()]);
    const now = this.#now();
    const record = this.#tokens.get(presentedHash);
    const family = record && this.#families.get(record.familyId);
    if (!record || !family || record.expiresAt <= now) return { kind: 'invalid' };
    if (record.rotatedAt === undefined) {
      record.rotatedAt = now;
      return { kind: 'rotated', ...this.#issue(family, token, hash, now) };
    }
    // The current child was issued at or after this token's rotation, so inside the
    // window its raw value is still held.
    const inGrace = now - record.rotatedAt < this.#options.graceMs;
    if (inGrace && family.currentRaw !== undefined && now < family.rawUntil) {
      return { kind: 'grace', family, token: family.currentRaw, expiresAt: family.currentExpiresAt };
    }
    // A rotated token came back too late: someone kept a copy. Nobody keeps the session.
    this.#revoke(family);
    return { kind: 'reuse', family };
  }

  /** The family of any token of it, rotated or current. */
  async familyOf(presented: string): Promise<Family | undefined> {
    const record = this.#tokens.get(await sha256(presented));
    return record && this.#families.get(record.familyId);
  }

  revokeFamily(familyId: string): void {
    const family = this.#families.get(familyId);
    if (family) this.#revoke(family);
  }

  revokeUser(username: string): void {
    for (const family of this.#families.values()) {
      if (family.username === username) this.#revoke(family);
    }
  }

  #issue(family: FamilyState, token: string, hash: string, now: number): IssuedToken {
    const expiresAt = now + this.#options.refreshTtlMs;
    this.#tokens.set(hash, { familyId: family.id, expiresAt, rotatedAt: undefined });
    family.hashes.add(hash);
    family.currentHash = hash;
    family.currentExpiresAt = expiresAt;
    family.currentRaw = this.#options.graceMs > 0 ? token : undefined;
    family.rawUntil = now + this.#options.graceMs;
    return { family, token, expiresAt };
  }

  #revoke(family: FamilyState): void {
    for (const hash of family.hashes) this.#tokens.delete(hash);
    this.#families.delete(family.id);
  }

  /** The clock, plus an occasional sweep of expired tokens and of raw values past their window. */
  #now(): number {
    const now = this.#options.clock();
    if (now < this.#nextPruneAt) return now;
    this.#nextPruneAt = now + PRUNE_EVERY_MS;
    for (const family of this.#families.values()) {
      if (family.currentExpiresAt <= now) this.#revoke(family);
      else if (family.rawUntil <= now) family.currentRaw = undefined;
    }
    for (const [hash, record] of this.#tokens) {
      if (record.expiresAt <= now) {
        this.#tokens.delete(hash);
        this.#families.get(record.familyId)?.hashes.delete(hash);
      }
    }
    return now;
  }
}

async function fresh(): Promise<[token: string, hash: string]> {
  const token = randomToken();
  return [token, await sha256(token)];
}
