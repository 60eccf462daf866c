import type { Clock } from './types.js';

/** A clock tests drive by hand. */
export interface TestClock extends Clock {
  /** Moves time forward, firing due timers in order and letting promises settle after each. */
  advance(ms: number): Promise<void>;
  /** Moves time forward without firing any timer, as a laptop that slept or a throttled tab. */
  jump(ms: number): void;
  /** Lets pending promises settle (one macrotask of the real clock). */
  flush(): Promise<void>;
  /** Timers waiting to fire. */
  pending(): number;
}

interface Timer {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A controllable clock for sessions under test.
 * @example
 * const clock = createTestClock();
 * const session = createSession({ refresh, clock });
 * clock.jump(3_600_000); // the laptop slept an hour
 * await session.getAccessToken(); // refreshes first
 */
export function createTestClock(start = Date.UTC(2026, 0, 1)): TestClock {
  let now = start;
  let seq = 0;
  const timers = new Set<Timer>();
  const realTick = () => new Promise<void>((resolve) => globalThis.setTimeout(resolve, 0));

  function next(until: number): Timer | undefined {
    let first: Timer | undefined;
    for (const timer of timers) {
      if (timer.at <= until && (!first || timer.at < first.at || (timer.at === first.at && timer.seq < first.seq))) first = timer;
    }
    return first;
  }

  return {
    now: () => now,
    setTimeout(callback, ms) {
      const timer = { at: now + Math.max(0, ms), seq: seq++, callback };
      timers.add(timer);
      return timer;
    },
    clearTimeout: (handle) => void timers.delete(handle as Timer),
    async advance(ms) {
      const target = now + ms;
      await realTick();
      for (let timer = next(target); timer; timer = next(target)) {
        timers.delete(timer);
        now = Math.max(now, timer.at);
        timer.callback();
        await realTick();
      }
      now = target;
      await realTick();
    },
    jump(ms) {
      now += ms;
    },
    flush: realTick,
    pending: () => timers.size,
  };
}
