import { ConfigError } from './errors.js';

/** The page's origin in a browser (or a worker), else undefined. */
export function pageOrigin(): string | undefined {
  const origin = (globalThis as { location?: { origin?: unknown } }).location?.origin;
  return typeof origin === 'string' && origin !== 'null' ? origin : undefined;
}

/**
 * Builds the allow-list test the fetch wrapper runs on every request. It answers with the URL to
 * fetch when `url` goes to an allowed origin (else undefined), and the wrapper fetches exactly that:
 * the string checked and the string fetched never differ (docs/architecture.md, "Where a token may go").
 *
 * Only a URL that starts with an allowed origin followed by "/", "?", "#" or its end is passed on
 * as given, unparsed: its authority ends there, and nothing the URL parser strips or rewrites (TAB,
 * LF, CR, "\", leading spaces and controls) can change it. Anything else, relative URLs included,
 * is parsed once, as fetch would parse it, and its parsed form is what gets fetched.
 */
export function createOriginCheck(origins: readonly string[] | undefined): (url: string) => string | undefined {
  if (origins !== undefined && !Array.isArray(origins)) throw new ConfigError("`origins` must be an array, like ['https://api.example.com']");
  const page = pageOrigin();
  const list = origins ?? (page ? [page] : undefined);
  if (!list) throw new ConfigError('`origins` is required outside a browser');
  const allowed = list.map(toOrigin);
  const set = new Set(allowed);
  return (url) => {
    for (const origin of allowed) {
      if (url.startsWith(origin) && isBoundary(url.charCodeAt(origin.length))) return url;
    }
    let parsed: URL;
    try {
      parsed = new URL(url, baseUrl());
    } catch {
      return undefined;
    }
    return set.has(parsed.origin) ? parsed.href : undefined;
  };
}

/** What fetch resolves relative URLs against: the document's base URL, or the worker's location. */
export function baseUrl(): string | undefined {
  const scope = globalThis as { document?: { baseURI?: unknown }; location?: { href?: unknown } };
  const base = scope.document?.baseURI ?? scope.location?.href;
  return typeof base === 'string' ? base : undefined;
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
