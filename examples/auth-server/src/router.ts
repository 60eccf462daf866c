import type { ExtraRoute as Route } from './options.js';
import { error } from './responses.js';

export type Handler = (request: Request) => Promise<Response>;

/**
 * Exact-path routing, first match wins. A known path with another method answers 405
 * (with `Allow`), so an OPTIONS preflight is refused rather than granted: no CORS, ever.
 */
export function createRouter(routes: readonly Route[], fallback: Handler): Handler {
  return async (request) => {
    const { pathname } = new URL(request.url);
    const onPath = routes.filter((route) => route.path === pathname);
    const route = onPath.find((candidate) => candidate.method === request.method);
    if (route) return route.handler(request);
    if (onPath.length > 0) {
      const allow = [...new Set(onPath.map((candidate) => candidate.method))].join(', ');
      return error(405, 'method_not_allowed', { allow });
    }
    return fallback(request);
  };
}
