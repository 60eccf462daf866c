/** The "simulate offline" switch of one tab. */
export interface OfflineSwitch {
  /** What the session uses as `fetch`: fails like a dropped network while the switch is on. */
  fetch: typeof fetch;
  isOffline(): boolean;
  set(offline: boolean): void;
}

/**
 * Simulates losing the network in this tab only, both ways a real outage shows up: every request
 * the session makes (refreshes, `session.fetch`) fails with a network `TypeError`, and the window
 * receives `offline` (then `online`), which the SDK's page lifecycle hears, so the session stops
 * refreshing ahead of time and re-checks the clock when the network is back. The other tabs stay
 * online and keep sharing their refreshes with this one over BroadcastChannel.
 */
export function createOfflineSwitch(): OfflineSwitch {
  let offline = false;
  return {
    fetch: (input, init) => (offline ? Promise.reject(new TypeError('Failed to fetch: simulated offline')) : globalThis.fetch(input, init)),
    isOffline: () => offline,
    set(next) {
      if (next === offline) return;
      offline = next;
      window.dispatchEvent(new Event(next ? 'offline' : 'online'));
    },
  };
}
