import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { electHolder } from '../src/elect-holder.js';

describe('electHolder', () => {
  it('elects this tab when no other claim was heard', () => {
    expect(electHolder(new Map(), 'm', 1000, 100)).toBe('m');
  });

  it('elects the earliest claim, whatever its id', () => {
    expect(electHolder(new Map([['z', 990], ['a', 1005]]), 'm', 1000, 100)).toBe('z');
    expect(electHolder(new Map([['a', 1005]]), 'm', 1000, 100)).toBe('m');
  });

  it('breaks a tie between claims made at the same moment by the lowest id', () => {
    expect(electHolder(new Map([['b', 1000], ['a', 1000]]), 'm', 1000, 100)).toBe('a');
    expect(electHolder(new Map([['z', 1000]]), 'm', 1000, 100)).toBe('m');
  });

  it('ignores claims from a finished round', () => {
    expect(electHolder(new Map([['a', 700]]), 'm', 1000, 100)).toBe('m');
    expect(electHolder(new Map([['a', 701]]), 'm', 1000, 100)).toBe('a');
  });

  it('elects the same tab in every tab that heard the same claims', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 50 })), { selector: ([id]) => id, minLength: 1, maxLength: 8 }), (all) => {
        const winners = all.map(([self, at]) => electHolder(new Map(all.filter(([id]) => id !== self)), self, at, 100));
        expect(new Set(winners).size).toBe(1);
      }),
    );
  });
});
