/**
 * Counters for tests and the demo's dashboard. A refresh is counted in `refreshRequests`
 * when it arrives (faulted and CSRF-rejected ones included: the client did send them),
 * then, once answered, in exactly one of `refreshSuccesses` (2xx) or `refreshFailures`.
 * A refresh a fault hook keeps hanging is in neither.
 */
export interface AuthServerStats {
  refreshRequests: number;
  refreshSuccesses: number;
  refreshFailures: number;
  /** Rotated refresh tokens presented inside the grace window and answered with the current child. */
  graceReuses: number;
  /** Rotated refresh tokens presented outside the grace window: the family was revoked. */
  reuseDetections: number;
  logins: number;
  logouts: number;
  /** Requests to protected `/api` routes. */
  apiCalls: number;
  /** Protected `/api` requests answered 401. */
  apiUnauthorized: number;
  csrfRejections: number;
}

export type StatName = keyof AuthServerStats;

export interface StatsCounter {
  count(name: StatName): void;
  snapshot(): AuthServerStats;
  reset(): void;
}

function zero(): AuthServerStats {
  return {
    refreshRequests: 0,
    refreshSuccesses: 0,
    refreshFailures: 0,
    graceReuses: 0,
    reuseDetections: 0,
    logins: 0,
    logouts: 0,
    apiCalls: 0,
    apiUnauthorized: 0,
    csrfRejections: 0,
  };
}

export function createStats(): StatsCounter {
  let stats = zero();
  return {
    count: (name) => {
      stats[name] += 1;
    },
    snapshot: () => ({ ...stats }),
    reset: () => {
      stats = zero();
    },
  };
}
