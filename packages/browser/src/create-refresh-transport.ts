import { RefreshFailedError, type Refresher } from '@tokenward/core';
import { readTokenResponse, type TokenMode } from './read-token-response.js';

export interface RefreshTransportOptions {
  /** Default `/auth/refresh`. */
  url?: string;
  /** Default `bearer`. */
  mode?: TokenMode;
  /** The CSRF headers to send (see `createCsrfHeaders`). Default: none. */
  headers?: () => Record<string, string>;
  /** Default: the global `fetch`, looked up on every call. */
  fetch?: typeof fetch;
}

/**
 * The cookie refresh as a core `Refresher`: `POST url` with credentials, so the HttpOnly refresh
 * cookie travels by itself and no refresh token is ever visible to scripts. Network failures are
 * transient; HTTP failures carry their status, OAuth error and `Retry-After` for the core to classify.
 * @example
 * const session = createSession({ refresh: createRefreshTransport({ url: '/auth/refresh', headers: createCsrfHeaders() }) });
 */
export function createRefreshTransport(options: RefreshTransportOptions = {}): Refresher {
  const { url = '/auth/refresh', mode = 'bearer', headers = () => ({}) } = options;
  return async ({ signal }) =>
    (options.fetch ?? globalThis.fetch)(url, {
      method: 'POST',
      credentials: 'include',
      cache: 'no-store',
      headers: { accept: 'application/json', ...headers() },
      signal,
    }).then(
      (response) => readTokenResponse(response, mode),
      (cause: unknown) => {
        throw signal.aborted ? signal.reason : new RefreshFailedError('Refresh request failed', { kind: 'transient' }, { cause });
      },
    );
}
