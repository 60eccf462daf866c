import type { KeyRing } from './key-ring.js';
import type { ResolvedOptions } from './options.js';
import type { RefreshStore } from './refresh-store.js';
import type { StatsCounter } from './stats.js';

/** What every route handler shares: one object, so handlers stay plain functions. */
export interface AuthContext {
  options: ResolvedOptions;
  keys: KeyRing;
  store: RefreshStore;
  stats: StatsCounter;
}

/** A route: a typed Web-standard handler, liftable into any server that speaks Request/Response. */
export interface Route {
  method: string;
  path: string;
  handler: (request: Request) => Promise<Response> | Response;
}
