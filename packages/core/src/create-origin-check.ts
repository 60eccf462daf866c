import { ConfigError } from './errors.js';

/** The page's origin in a browser (or a worker), else undefined. */
export function pageOrigin(): string | undefined {
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === 'string' && origin !== 'null' ? origin : undefined;
}

/**
 * Builds the allow-list test the fetch wrapper runs on every request: a prefix comparison first (no
 * URL parsing on the hot path), a full parse only for URLs that do not start with an allowed origin.
 */
export function createOriginCheck(origins: readonly string[] | undefined): (url: string) => boolean {
  const page = pageOrigin();
  const list = origins ?? (page ? [page] : undefined);
  if (!list) throw new ConfigError('`origins` is required outside a browser');
  const allowed = list.map(toOrigin);
  const set = new Set(allowed);
  const pageAllowed = page !== undefined && set.has(page);
  return (url) => {
    for (const origin of allowed) {
      if (url.startsWith(origin) && isBoundary(url.charCodeAt(origin.length))) return true;
    }
    // "/path" (not "//host"): the page's own origin.
    if (page !== undefined && url.charCodeAt(0) === 47 && url.charCodeAt(1) !== 47 && url.charCodeAt(1) !== 92) return pageAllowed;
    try {
      return set.has(new URL(url, page).origin);
    } catch {
      return false;
    }
  };
}

function toOrigin(value: string): string {
  let origin = 'null';
  try {
    origin = new URL(value).origin;
  } catch {
    // reported below
  }
  if (origin === 'null') throw new ConfigError('`origins` must be absolute http(s) origins');
  return origin;
}

/** End of string, "/", "?" or "#": the origin really ended there. */
function isBoundary(code: number): boolean {
  return Number.isNaN(code) || code === 47 || code === 63 || code === 35;
}
