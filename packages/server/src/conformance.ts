import { createFamilies, type Families } from './create-families.js';
import { randomToken, sha256 } from './crypto.js';
import { startFamily, type FamilyPolicy } from './decide-refresh.js';
import type { FamilyRecord, RefreshStore, UpstreamLease } from './refresh-store.js';

/**
 * The test functions the suite needs, passed in so it runs under any runner with
 * describe/it/expect: vitest and jest as they are.
 */
export interface ConformanceApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void>): void;
  expect(actual: unknown): { toBe(expected: unknown): void; toEqual(expected: unknown): void };
}

const policy: FamilyPolicy = { graceMs: 5_000, idleMs: 60_000, absoluteMs: 3_600_000 };
const CALLERS = 50;

/**
 * Registers the `RefreshStore` contract as tests: every store implementation runs it. Each test
 * gets a fresh store from `createStore` and closes it after. The clock starts at `Date.now()`
 * and only moves forward by seconds, so a store that also sets real expiry times keeps working.
 *
 * @example
 * import { describe, expect, it } from 'vitest';
 * import { createMemoryStore } from '@tokenward/server';
 * import { testStore } from '@tokenward/server/conformance';
 * testStore(() => createMemoryStore(), { describe, it, expect });
 */
export function testStore(createStore: () => RefreshStore | Promise<RefreshStore>, { describe, it, expect }: ConformanceApi): void {
  async function setup(): Promise<{ store: RefreshStore; families: Families; clock: { now: number }; done(): Promise<void> }> {
    const store = await createStore();
    const clock = { now: Date.now() };
    const families = createFamilies({ store, policy, clock: () => clock.now });
    return { store, families, clock, done: async () => store.close?.() };
  }

  const record = async (sub = 'alice'): Promise<FamilyRecord> =>
    startFamily({ id: randomToken(16), sub, claims: { roles: ['user'] }, mode: 'bearer', current: await sha256(randomToken()) }, Date.now(), policy);

  describe('RefreshStore conformance', () => {
    it('finds a family by its current token, and nothing for an unknown token', async () => {
      const { store, done } = await setup();
      const family = await record();
      await store.create(family);
      expect(await store.findByToken(family.current)).toEqual(family);
      expect(await store.findByToken(await sha256('unknown'))).toBe(undefined);
      await done();
    });

    it(`lets exactly one of ${CALLERS} concurrent compare-and-swaps on one version win`, async () => {
      const { store, done } = await setup();
      const family = await record();
      await store.create(family);
      const swaps = await Promise.all(
        Array.from({ length: CALLERS }, async () =>
          store.compareAndSwap({ ...family, version: 2, current: await sha256(randomToken()) }, 1),
        ),
      );
      expect(swaps.filter(Boolean).length).toBe(1);
      expect((await store.findByToken(family.current))?.version).toBe(2);
      // A stale swap changes nothing.
      expect(await store.compareAndSwap({ ...family, version: 2, sub: 'mallory' }, 1)).toBe(false);
      expect((await store.findByToken(family.current))?.sub).toBe('alice');
      await done();
    });

    it(`rotates a token once for ${CALLERS} concurrent refreshes; the others get the grace answer with the same child`, async () => {
      const { families, done } = await setup();
      const { token } = await families.create('alice', { roles: ['user'] }, 'cookie');
      const outcomes = await Promise.all(Array.from({ length: CALLERS }, () => families.refresh(token)));
      const rotated = outcomes.filter((outcome) => outcome.kind === 'rotated');
      const grace = outcomes.filter((outcome) => outcome.kind === 'grace');
      expect([rotated.length, grace.length]).toEqual([1, CALLERS - 1]);
      const child = rotated[0]!.kind === 'rotated' ? rotated[0]!.token : '';
      expect(grace.every((outcome) => outcome.kind === 'grace' && outcome.token === child)).toBe(true);
      expect((await families.refresh(child)).kind).toBe('rotated');
      await done();
    });

    it('revokes the whole family when a rotated token comes back after the grace window', async () => {
      const { families, clock, done } = await setup();
      const { token: parent } = await families.create('alice', {}, 'bearer');
      const first = await families.refresh(parent);
      clock.now += policy.graceMs;
      expect((await families.refresh(parent)).kind).toBe('reuse');
      const current = first.kind === 'rotated' ? first.token : '';
      expect(await families.refresh(current)).toEqual({ kind: 'invalid', reason: 'unknown' });
      expect(await families.find(parent)).toBe(undefined);
      await done();
    });

    it("keeps a family's DPoP key thumbprint through every rotation; a refresh without it changes nothing", async () => {
      const { families, done } = await setup();
      const { token, family } = await families.create('alice', {}, 'bearer', undefined, 'jkt-of-the-key');
      expect(family.jkt).toBe('jkt-of-the-key');
      expect(await families.refresh(token)).toEqual({ kind: 'invalid', reason: 'dpop_key' });
      const rotated = await families.refresh(token, { jkt: 'jkt-of-the-key' });
      expect([rotated.kind, rotated.kind === 'rotated' && rotated.family.jkt]).toEqual(['rotated', 'jkt-of-the-key']);
      const child = rotated.kind === 'rotated' ? rotated.token : '';
      expect((await families.find(child))?.jkt).toBe('jkt-of-the-key');
      expect(await families.refresh(child, { jkt: 'another-key' })).toEqual({ kind: 'invalid', reason: 'dpop_key' });
      expect((await families.find(child))?.version).toBe(2);
      await done();
    });

    it('revokes every family of a user, and only those', async () => {
      const { store, families, done } = await setup();
      const [laptop, phone, other] = await Promise.all([
        families.create('alice', {}, 'bearer'),
        families.create('alice', {}, 'cookie'),
        families.create('bob', {}, 'bearer'),
      ]);
      expect(await store.revokeUser('alice')).toBe(2);
      expect([await families.find(laptop.token), await families.find(phone.token)]).toEqual([undefined, undefined]);
      expect((await families.refresh(other.token)).kind).toBe('rotated');
      expect(await store.revokeFamily(other.family.id)).toBe(true);
      expect(await store.revokeFamily(other.family.id)).toBe(false);
      await done();
    });

    it('prunes expired families with all their tokens, keeps live ones, and drops the sealed token after its window', async () => {
      const { store, families, clock, done } = await setup();
      const idle = await families.create('alice', {}, 'bearer');
      const active = await families.create('bob', {}, 'bearer');
      clock.now += policy.idleMs / 2;
      const rotated = await families.refresh(active.token);
      expect(rotated.kind === 'rotated' && rotated.family.sealed !== undefined).toBe(true);
      clock.now += policy.idleMs / 2;
      expect(await store.prune(clock.now)).toBe(1);
      expect(await families.find(idle.token)).toBe(undefined);
      const kept = await families.find(active.token);
      expect([kept?.id, kept?.sealed]).toEqual([active.family.id, undefined]);
      await done();
    });

    it('returns records as values: changing an answer changes nothing stored', async () => {
      const { store, done } = await setup();
      const family = await record();
      await store.create(family);
      const answer = (await store.findByToken(family.current)) as { sub: string } | undefined;
      try {
        if (answer) answer.sub = 'mallory';
      } catch {
        // A frozen record refuses the change: as good.
      }
      expect((await store.findByToken(family.current))?.sub).toBe('alice');
      await done();
    });
  });

  // Optional (see `UpstreamLease`): a store has both methods or neither, and one that has them keeps them.
  describe('RefreshStore conformance: the upstream lease', () => {
    it(`grants one of ${CALLERS} concurrent claims on a family; the holder may extend it, others wait for its end`, async () => {
      const { store, clock, done } = await setup();
      const lease = leaseOf(store);
      if (lease) {
        const until = clock.now + 10_000;
        const claims = await Promise.all(Array.from({ length: CALLERS }, (_, i) => lease.claimUpstream('family-1', `holder-${i}`, until, clock.now)));
        expect(claims.filter(Boolean).length).toBe(1);
        const holder = `holder-${claims.indexOf(true)}`;
        const other = holder === 'holder-0' ? 'holder-1' : 'holder-0';
        // Per family: another family's lease is free.
        expect(await lease.claimUpstream('family-2', other, until, clock.now)).toBe(true);
        expect(await lease.claimUpstream('family-1', holder, until + 5_000, clock.now)).toBe(true);
        clock.now += 10_000;
        expect(await lease.claimUpstream('family-1', other, clock.now + 10_000, clock.now)).toBe(false);
        // Past the extended end a crashed holder blocks nobody.
        clock.now += 5_000;
        expect(await lease.claimUpstream('family-1', other, clock.now + 10_000, clock.now)).toBe(true);
        expect(await lease.claimUpstream('family-1', holder, clock.now + 10_000, clock.now)).toBe(false);
      }
      await done();
    });

    it('a release frees the lease at once, and only its holder can release it', async () => {
      const { store, clock, done } = await setup();
      const lease = leaseOf(store);
      if (lease) {
        expect(await lease.claimUpstream('family-1', 'a', clock.now + 10_000, clock.now)).toBe(true);
        await lease.releaseUpstream('family-1', 'b');
        expect(await lease.claimUpstream('family-1', 'b', clock.now + 10_000, clock.now)).toBe(false);
        await lease.releaseUpstream('family-1', 'a');
        expect(await lease.claimUpstream('family-1', 'b', clock.now + 10_000, clock.now)).toBe(true);
      }
      await done();
    });
  });

  function leaseOf(store: RefreshStore): UpstreamLease | undefined {
    const has = [typeof store.claimUpstream, typeof store.releaseUpstream].map((type) => type === 'function');
    expect(has[0]).toBe(has[1]);
    return has[0] ? (store as UpstreamLease) : undefined;
  }
}
