import { boundResponse } from './bound-response.js';
import type { ClockOffset } from './clock-offset.js';

/** The `fetch` shape oauth4webapi calls (its `customFetch` option). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * Wraps `fetch` so that every response from the authorization server, errors included, teaches
 * the clock offset before anyone reads it, and is read to at most 64 KiB.
 */
export function observeFetch(fetchImpl: FetchLike, offset: ClockOffset, now: () => number): FetchLike {
  return async (url, init) => {
    const sentAt = now();
    const response = await fetchImpl(url, init);
    offset.observe(response.headers.get('date'), sentAt, now());
    return boundResponse(response);
  };
}
