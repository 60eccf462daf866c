import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuthHandler, createMemoryStore, decideRefresh, type FamilyRecord } from '../src/index.js';
import { createFamilies } from '../src/create-families.js';
import { openChild, sealChild } from '../src/grace-seal.js';
import { randomToken } from '../src/crypto.js';

const policy = { graceMs: 5000, idleMs: 60_000, absoluteMs: 3_600_000 };
const family: FamilyRecord = {
  id: 'f', sub: 's', claims: {}, mode: 'bearer', createdAt: 0, absoluteExpiresAt: 3_600_000, expiresAt: 60_000, version: 2,
  current: 'child', previous: 'parent', rotatedAt: 1000, sealed: 'sealed', sealedUntil: 6000,
};

describe('decideRefresh', () => {
  it('rotates the current token, answers the parent in grace, revokes on anything else of the family', () => {
    expect(decideRefresh(undefined, 'x', 0, policy)).toEqual({ kind: 'invalid', reason: 'unknown' });
    expect(decideRefresh(family, 'child', 60_000, policy)).toEqual({ kind: 'invalid', reason: 'expired' });
    expect(decideRefresh(family, 'child', 2000, policy)).toEqual({ kind: 'rotate' });
    expect(decideRefresh(family, 'parent', 5999, policy)).toEqual({ kind: 'grace' });
    expect(decideRefresh(family, 'parent', 6000, policy)).toEqual({ kind: 'reuse' });
    expect(decideRefresh(family, 'grandparent', 2000, policy)).toEqual({ kind: 'reuse' });
    expect(decideRefresh({ ...family, sealed: undefined }, 'parent', 2000, policy)).toEqual({ kind: 'reuse' });
    expect(decideRefresh(family, 'parent', 2000, { ...policy, graceMs: 0 })).toEqual({ kind: 'reuse' });
  });

  it('never lets a family outlive its absolute lifetime, whatever the sequence of refreshes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 59_000 }), { minLength: 1, maxLength: 80 }), async (gaps) => {
        let now = 1_000_000;
        const families = createFamilies({ store: createMemoryStore(), policy, clock: () => now });
        let { token } = await families.create('alice', {}, 'bearer');
        for (const gap of gaps) {
          now += gap;
          const outcome = await families.refresh(token);
          const alive = now < 1_000_000 + policy.absoluteMs;
          expect(outcome.kind).toBe(alive ? 'rotated' : 'invalid');
          if (outcome.kind !== 'rotated') return;
          expect(outcome.family.expiresAt).toBeLessThanOrEqual(outcome.family.absoluteExpiresAt);
          token = outcome.token;
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('grace seal', () => {
  it('opens only with the parent it was sealed under', async () => {
    const [parent, child] = [randomToken(), randomToken()];
    const sealed = await sealChild(parent, child);
    expect(sealed).not.toBe(child);
    expect(await openChild(parent, sealed)).toBe(child);
    expect(await openChild(randomToken(), sealed)).not.toBe(child);
    expect(await openChild(parent, 'short')).toBeUndefined();
  });

  it('answers a tampered seal with invalid_grant, not with a token', async () => {
    const store = createMemoryStore();
    const families = createFamilies({ store, policy, clock: () => 1000 });
    const { token } = await families.create('alice', {}, 'bearer');
    const rotated = await families.refresh(token);
    if (rotated.kind !== 'rotated') throw new Error('not rotated');
    await store.compareAndSwap({ ...rotated.family, version: rotated.family.version + 1, sealed: await sealChild(token, randomToken()) }, rotated.family.version);
    expect(await families.refresh(token)).toEqual({ kind: 'invalid', reason: 'unsealable' });
  });
});

describe('options', () => {
  it('refuses bad options with a typed ERR_CONFIG naming the option', () => {
    const base = { authenticate: () => undefined, issuer: 'https://i.test', audience: 'a' };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ authenticate: undefined }, /`authenticate` must be a function/],
      [{ issuer: '' }, /`issuer` must be a non-empty string/],
      [{ accessTtlSeconds: 0 }, /`accessTtlSeconds` must be a finite number >= 1/],
      [{ graceMs: Number.NaN }, /`graceMs`/],
      [{ absoluteTtlSeconds: Infinity }, /`absoluteTtlSeconds`/],
      [{ basePath: 'auth' }, /invalid path "auth"/],
    ];
    for (const [override, message] of cases) {
      expect(() => createAuthHandler({ ...base, ...override } as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG', message: expect.stringMatching(message) }));
    }
  });
});
