/**
 * A cross-tab mutex: `request` resolves with the release once the lock of `name` is this tab's, or
 * rejects when `signal` aborts first. The Web Locks API in a browser; an in-memory lock in tests.
 */
export interface LockPort {
  request(name: string, signal: AbortSignal): Promise<() => void>;
}

/** The message bus between the tabs of an origin: what one posts, every other receives. */
export interface Bus {
  post(message: unknown): void;
  /** Sets the one listener (a later call replaces it). */
  subscribe(listener: (message: unknown) => void): () => void;
  close(): void;
}
