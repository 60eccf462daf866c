import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createTokenCache, normalizeKey } from '../src/token-cache.js';

describe('normalizeKey', () => {
  it('sorts and deduplicates scopes and resources, and trims the audience', () => {
    expect(normalizeKey({ scope: ' write read  write', audience: ' api ', resource: ['b', 'a', 'b'] })).toMatchObject({
      scope: 'read write',
      audience: 'api',
      resource: ['a', 'b'],
    });
  });

  it('takes the defaults for fields the caller leaves out, and lets an explicit value replace them', () => {
    const defaults = { scope: 'read', audience: 'https://api.test' };
    expect(normalizeKey({}, defaults)).toMatchObject({ scope: 'read', audience: 'https://api.test' });
    expect(normalizeKey({ scope: 'write' }, defaults)).toMatchObject({ scope: 'write', audience: 'https://api.test' });
    expect(normalizeKey({ scope: '' }, defaults).scope).toBeUndefined();
  });

  it('gives every permutation of the same scopes the same id', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z:]{1,8}$/), { minLength: 1, maxLength: 6 }), fc.boolean(), (scopes, asList) => {
        const shuffled = [...scopes].reverse();
        const key = asList ? { scope: shuffled } : { scope: shuffled.join(' ') };
        expect(normalizeKey(key).id).toBe(normalizeKey({ scope: scopes.join(' ') }).id);
      }),
    );
  });
});

describe('createTokenCache', () => {
  it('creates one value per normalized key, whatever the spelling', () => {
    const create = vi.fn((key: { id: string }) => ({ id: key.id }));
    const cache = createTokenCache(create, { defaults: { audience: 'a' } });
    const first = cache.get({ scope: 'read write' });
    expect(cache.get({ scope: 'write read' })).toBe(first);
    expect(cache.get({ scope: ['write', 'read', 'read'] })).toBe(first);
    expect(cache.get({ scope: 'read write', audience: 'a' })).toBe(first);
    expect(cache.get({ scope: 'read write', audience: 'b' })).not.toBe(first);
    expect(cache.get()).toBe(cache.get({}));
    expect(create).toHaveBeenCalledTimes(3);
    expect(cache.values()).toHaveLength(3);
  });

  it('starts over after clear', () => {
    const cache = createTokenCache((key) => ({ key }));
    const before = cache.get({ scope: 'x' });
    cache.clear();
    expect(cache.values()).toHaveLength(0);
    expect(cache.get({ scope: 'x' })).not.toBe(before);
  });

  it('keeps at most maxKeys values, evicting the least recently used (by get or by touch) after it left', () => {
    const evicted: string[] = [];
    const touches = new Map<string, () => void>();
    const cache = createTokenCache(
      (key, touch) => {
        touches.set(key.id, touch);
        return { scope: key.scope! };
      },
      { maxKeys: 2, evict: (value) => evicted.push(value.scope) },
    );
    const a = cache.get({ scope: 'a' });
    cache.get({ scope: 'b' });
    touches.get(normalizeKey({ scope: 'a' }).id)!(); // a used directly, not through get
    cache.get({ scope: 'c' });
    expect(evicted).toEqual(['b']);
    expect(cache.values().map((value) => value.scope)).toEqual(['a', 'c']);
    expect(cache.get({ scope: 'a' })).toBe(a);
    cache.get({ scope: 'b' });
    expect(evicted).toEqual(['b', 'c']);
    // An alias of an evicted key is not served from the alias map.
    expect(cache.get({ scope: ['c'] })).not.toBe(undefined);
    expect(evicted).toEqual(['b', 'c', 'a']);
  });

  it('forgets a deleted value only if it is still the one for its key', () => {
    const cache = createTokenCache((key) => ({ key }));
    const first = cache.get({ scope: 'x' });
    cache.delete(first.key.id, first);
    const second = cache.get({ scope: 'x' });
    expect(second).not.toBe(first);
    cache.delete(first.key.id, first); // stale: leaves the new one
    expect(cache.get({ scope: 'x' })).toBe(second);
    expect(cache.get()).toBe(cache.get());
    const fallback = cache.get();
    cache.delete(fallback.key.id, fallback);
    expect(cache.get()).not.toBe(fallback);
  });
});
