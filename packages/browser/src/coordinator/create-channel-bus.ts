import type { Bus } from './ports.js';

/**
 * The `Bus` over the platform's `BroadcastChannel` (every current browser, Node 18+), or undefined
 * where there is none.
 * @example
 * const bus = createChannelBus('tokenward');
 */
export function createChannelBus(name: string): Bus | undefined {
  if (typeof BroadcastChannel !== 'function') return undefined;
  const channel = new BroadcastChannel(name);
  // Node keeps a process alive while a channel is open; a browser has no such method.
  (channel as { unref?: () => void }).unref?.();
  return {
    // Messages are plain data, and a closed coordinator posts nothing: this never throws.
    post: (message) => channel.postMessage(message),
    // One listener, the coordinator's.
    subscribe(listener) {
      channel.onmessage = (event: MessageEvent) => listener(event.data);
      return () => void (channel.onmessage = null);
    },
    close: () => channel.close(),
  };
}
