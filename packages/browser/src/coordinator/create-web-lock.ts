import type { LockPort } from './ports.js';

interface LockManager {
  request(name: string, options: { signal: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

/**
 * The `LockPort` over the Web Locks API, or undefined where the browser has none. The platform grants
 * a lock to one tab at a time and releases it when the holder releases, closes or crashes; the
 * coordinator holds it only around the refresh request.
 * @example
 * const lock = createWebLock() ?? createMemoryLock();
 */
export function createWebLock(): LockPort | undefined {
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  if (!locks) return undefined;
  return {
    request: (name, signal) =>
      new Promise((resolve, reject) => {
        // Held until the release is called: the callback's promise settles then.
        locks.request(name, { signal }, () => new Promise<void>((release) => resolve(release))).catch(reject);
      }),
  };
}
