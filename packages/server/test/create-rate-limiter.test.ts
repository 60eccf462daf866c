import { describe, expect, it } from 'vitest';
import { createRateLimiter } from '../src/create-rate-limiter.js';

describe('createRateLimiter', () => {
  it('holds a key to its burst, then to its rate, with the seconds to wait', () => {
    let now = 0;
    const limiter = createRateLimiter({ burst: 2, perMinute: 6 }, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('b')]).toEqual([0, 0, 10, 0]);
    now += 10_000;
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 10]);
  });

  it('forgets only full buckets, and sweeps again only once the map has doubled', () => {
    let now = 0;
    const limiter = createRateLimiter({ burst: 1, perMinute: 60 }, () => now);
    // 9,999 addresses, each limited: nothing may be forgotten while it still carries a limit.
    for (let i = 0; i < 9_999; i++) limiter.take(`a${i}`);
    expect(limiter.take('a0')).toBe(1);
    // A second later those buckets are full again: the take that finds 10,000 keys drops them.
    now += 1_000;
    limiter.take('b0');
    expect(limiter.size).toBe(10_000);
    limiter.take('b1');
    expect(limiter.size).toBe(2);

    // Limited keys up to 15,000: the sweep at 10,000 keeps them all, so the next waits for 20,000.
    for (let i = 2; i < 15_000; i++) limiter.take(`b${i}`);
    expect(limiter.size).toBe(15_000);
    now += 1_000;
    for (let i = 0; i < 5_000; i++) limiter.take(`c${i}`);
    expect(limiter.size).toBe(20_000);
    limiter.take('c-last');
    expect(limiter.size).toBe(5_001);
  });
});
