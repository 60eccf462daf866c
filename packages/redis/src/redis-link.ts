/** Whether Redis answers, as the last operation found it. */
export type LinkState = { readonly status: 'up' } | { readonly status: 'down'; readonly since: number; readonly fallbacks: number };

/** What happened to one Redis operation. */
export type LinkEvent = { readonly type: 'answered'; readonly at: number } | { readonly type: 'failed'; readonly at: number; readonly reason: string };

/** The one line to log, when the state changes; never one per call. */
export interface LinkLog {
  readonly level: 'warn' | 'info';
  readonly message: string;
}

/**
 * The outage lifecycle of a store's Redis link, as a pure transition: the first failure opens an
 * outage and logs once; further failures only count the calls served without Redis; the first
 * answer closes it and logs once. Messages name no key and no token.
 * @example
 * const { state, log } = transitionLink({ status: 'up' }, { type: 'failed', at: Date.now(), reason: 'timeout after 200 ms' });
 * // state.status === 'down'; log.level === 'warn'
 */
export function transitionLink(state: LinkState, event: LinkEvent): { state: LinkState; log?: LinkLog } {
  if (event.type === 'failed') {
    if (state.status === 'down') return { state: { ...state, fallbacks: state.fallbacks + 1 } };
    const message = `tokenward/redis: Redis unavailable (${event.reason}); each process serves tokens from its own cache and single-flight until it is back`;
    return { state: { status: 'down', since: event.at, fallbacks: 1 }, log: { level: 'warn', message } };
  }
  if (state.status === 'up') return { state };
  const message = `tokenward/redis: Redis is back after ${event.at - state.since} ms; refreshes served without it: ${state.fallbacks}`;
  return { state: { status: 'up' }, log: { level: 'info', message } };
}
