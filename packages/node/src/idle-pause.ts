import type { Lifecycle, LifecycleSignal, Session } from '@tokenward/core';

/** Pauses the background work of a session nobody asks for; see `createIdlePause`. */
export interface IdlePause {
  /** The port to give `createSession`: "offline" while paused, so nothing is refreshed proactively. */
  readonly lifecycle: Lifecycle;
  /** A caller asked for a token: resumes a paused session (a due refresh or retry starts at once). */
  demand(): void;
  /** Watches `session` (created with `lifecycle`) to pause it when it goes idle. */
  watch(session: Session): void;
}

/**
 * Refresh-ahead (and retries after a failure) only for a key someone asked for within one token
 * lifetime. Whenever the session schedules background work, it is paused if that work would run
 * more than one lifetime after the last demand. Paused, it holds its token and its timers are
 * gone; the next demand resumes it and refreshes on demand as usual. The core already knows this
 * mode: offline, nothing is refreshed proactively and a caller's demand refreshes instead. Back
 * online, the core retries a backoff at once, so a session paused in backoff resumes only once
 * its retry is due: the server's `Retry-After` still holds.
 * @example
 * const idle = createIdlePause(Date.now, 300_000);
 * const session = createSession({ refresh, lifecycle: idle.lifecycle });
 * idle.watch(session);
 */
export function createIdlePause(now: () => number, defaultLifetimeMs: number): IdlePause {
  let listener: ((signal: LifecycleSignal) => void) | undefined;
  let paused = false;
  let lastDemand = now();
  let lifetimeMs = defaultLifetimeMs;
  let refreshStartedAt = lastDemand;
  /** A session paused in backoff resumes no sooner than its retry. */
  let resumeAt = -Infinity;

  return {
    lifecycle: {
      subscribe(next) {
        listener = next;
        return () => void (listener = undefined);
      },
      isOnline: () => !paused,
    },
    demand() {
      lastDemand = now();
      if (paused && lastDemand >= resumeAt) {
        paused = false;
        listener?.('online');
      }
    },
    watch(session) {
      session.on('status', ({ to }) => {
        if (to === 'refreshing') refreshStartedAt = now();
        if (to !== 'active' && to !== 'backoff') return;
        const { refreshAt, retryAt, expiresAt } = session.getSnapshot();
        if (to === 'active' && expiresAt !== undefined) lifetimeMs = expiresAt - refreshStartedAt;
        const next = to === 'active' ? refreshAt : retryAt;
        if (!paused && next !== undefined && next - lastDemand > lifetimeMs) {
          paused = true;
          resumeAt = to === 'backoff' ? next : -Infinity;
          listener?.('offline');
        }
      });
    },
  };
}
