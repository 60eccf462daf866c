import type { LockPort } from './ports.js';

/**
 * A `LockPort` in memory with the Web Locks semantics: granted in request order, one holder per name.
 * The tabs of a unit test share one, as the tabs of a browser share its lock manager.
 * @example
 * const lock = createMemoryLock();
 * const release = await lock.request('refresh', new AbortController().signal);
 * release();
 */
export function createMemoryLock(): LockPort {
  const queues = new Map<string, Array<() => void>>();
  const next = (name: string) => {
    const queue = queues.get(name)!;
    queue.shift();
    if (queue.length) queue[0]!();
    else queues.delete(name);
  };
  return {
    request(name, signal) {
      return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        let released = false;
        const grant = () => {
          signal.removeEventListener('abort', onAbort);
          resolve(() => void (released || ((released = true), next(name))));
        };
        const onAbort = () => {
          const queue = queues.get(name)!;
          const at = queue.indexOf(grant);
          // Only a waiter can withdraw; a holder releases.
          if (at > 0) queue.splice(at, 1);
          if (at > 0) reject(signal.reason);
        };
        const queue = queues.get(name) ?? [];
        queues.set(name, queue);
        queue.push(grant);
        signal.addEventListener('abort', onAbort, { once: true });
        if (queue.length === 1) grant();
      });
    },
  };
}
