import type { Lifecycle, LifecycleSignal } from '@tokenward/core';

export interface PageLifecycleOptions {
  /** At most one `wake` per this many ms (a focus right after a visibility change adds nothing). Default 1000. */
  minWakeIntervalMs?: number;
}

type Target = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

/**
 * The core's `Lifecycle` port for a page: `wake` when the page becomes visible, is restored from
 * the back/forward cache or gets focus (the session then re-checks the wall clock, since timers do
 * not run while a laptop sleeps or a tab is frozen), and `online`/`offline`. Listeners attach on
 * subscribe and detach on its cleanup. There is no `unload` or `beforeunload` listener: they keep
 * pages out of the back/forward cache, and a closing tab's refresh is recovered by its peers anyway.
 * @example
 * const session = createSession({ refresh, lifecycle: createPageLifecycle() });
 */
export function createPageLifecycle(options: PageLifecycleOptions = {}): Lifecycle {
  const { minWakeIntervalMs = 1000 } = options;
  const scope = globalThis as { window?: Target; document?: Target & { visibilityState?: string }; navigator?: { onLine?: boolean } };
  return {
    isOnline: () => scope.navigator?.onLine !== false,
    subscribe(listener: (signal: LifecycleSignal) => void) {
      const { window: win, document: doc } = scope;
      if (!win) return () => {};
      let last = -Infinity;
      const wake = () => {
        const now = Date.now();
        // abs(): a wall clock set back must not silence wakes until it catches up.
        if (doc?.visibilityState === 'hidden' || Math.abs(now - last) < minWakeIntervalMs) return;
        last = now;
        listener('wake');
      };
      const listeners: Array<[Target | undefined, string, () => void]> = [
        [doc, 'visibilitychange', wake],
        [win, 'pageshow', wake],
        [win, 'focus', wake],
        [win, 'online', () => listener('online')],
        [win, 'offline', () => listener('offline')],
      ];
      for (const [target, type, fn] of listeners) target?.addEventListener(type, fn);
      return () => {
        for (const [target, type, fn] of listeners) target?.removeEventListener(type, fn);
      };
    },
  };
}
