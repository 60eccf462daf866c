import type { Clock } from '@tokenward/core';
import { createClientCredentials } from '@tokenward/node';

/** A client-credentials source whose token endpoint is answered by `fetch` (nothing listens on port 9). */
export function fuzzClientCredentials(clock: Clock, fetch: typeof globalThis.fetch, options: { random?: () => number } = {}) {
  return createClientCredentials({ tokenEndpoint: 'http://127.0.0.1:9/token', clientId: 'fuzz', clientSecret: 'fuzz-secret', clock, fetch, ...options });
}
