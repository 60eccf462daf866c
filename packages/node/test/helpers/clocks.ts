import type { Clock } from '@tokenward/core';

/** The real clock shifted by `offsetMs` (a machine whose clock is off), with unref'd timers. */
export function shiftedClock(offsetMs: number): Clock {
  return {
    now: () => Date.now() + offsetMs,
    setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Calls `attempt` until it resolves (a caller that retries on its own), every `everyMs`. */
export async function eventually<T>(attempt: () => Promise<T>, { everyMs = 25, withinMs = 10_000 } = {}): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(everyMs);
    }
  }
}
