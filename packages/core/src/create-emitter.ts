import type { SessionEventName, SessionEvents } from './types.js';

type Listener = (payload: never) => void;

/**
 * Typed events, delivered asynchronously (never inside the machine) in the order they were emitted.
 * A listener that throws is reported and breaks nothing.
 */
export function createEmitter(onListenerError: (error: unknown) => void) {
  const listeners = new Map<SessionEventName, Set<Listener>>();
  return {
    on<E extends SessionEventName>(event: E, listener: (payload: SessionEvents[E]) => void): () => void {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as Listener);
      return () => void set.delete(listener as Listener);
    },
    emit<E extends SessionEventName>(event: E, payload: SessionEvents[E]): void {
      const set = listeners.get(event);
      if (!set?.size) return;
      const snapshot = [...set];
      queueMicrotask(() => {
        for (const listener of snapshot) {
          if (!set.has(listener)) continue;
          try {
            (listener as (payload: SessionEvents[E]) => void)(payload);
          } catch (error) {
            onListenerError(error);
          }
        }
      });
    },
    clear: () => listeners.clear(),
  };
}
