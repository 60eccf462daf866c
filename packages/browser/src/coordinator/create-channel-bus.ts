import type { Bus } from './ports.js';

/**
 * The `Bus` over the platform's `BroadcastChannel` (every current browser, Node 18+), or undefined
 * where there is none. Posting never throws: a closed channel or an uncloneable value loses the message.
 * @example
 * const bus = createChannelBus('tokenward');
 */
export function createChannelBus(name: string): Bus | undefined {
  if (typeof BroadcastChannel !== 'function') return undefined;
  const channel = new BroadcastChannel(name);
  const listeners = new Set<(message: unknown) => void>();
  channel.onmessage = (event: MessageEvent) => listeners.forEach((listener) => listener(event.data));
  // Node keeps a process alive while a channel is open; a browser has no such method.
  (channel as { unref?: () => void }).unref?.();
  return {
    post(message) {
      try {
        channel.postMessage(message);
      } catch {
        // Closed already (a hot reload, a dispose in flight): nothing to tell.
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    close() {
      listeners.clear();
      channel.close();
    },
  };
}
