import { ConfigError } from '@tokenward/core';
import { TOKEN_TYPE_PATTERN } from '@tokenward/core/internal';
import { readCookie, serverCookieNames } from './read-cookie.js';

export interface CsrfOptions {
  /** The custom header every refresh, sign-out and state-changing API request carries. Default `x-tokenward-csrf`. */
  header?: string;
  /** A readable cookie whose value the header echoes (double submit), if the server sets one. Default `__Host-tw_csrf`, else `tw_csrf` (plain http on localhost), as @tokenward/server names it; `false`: none. */
  cookie?: string | false;
}

/**
 * Builds the CSRF headers for one request. A cross-site form cannot set a custom header and a
 * cross-origin script needs a CORS preflight, so the header alone proves the page sent it; the
 * cookie's value, when the server set one, is echoed as well. Without the cookie the header is `1`.
 * The cookie is read on every call: the server may set it at any sign-in.
 * @example
 * const csrfHeaders = createCsrfHeaders({ header: 'x-csrf', cookie: 'csrf' });
 * await fetch('/auth/logout', { method: 'POST', headers: csrfHeaders() });
 */
export function createCsrfHeaders(options: CsrfOptions | false = {}): () => Record<string, string> {
  if (options === false) return () => ({});
  const { header = 'x-tokenward-csrf', cookie } = options;
  const names = cookie === undefined ? serverCookieNames('tw_csrf') : cookie ? [cookie] : [];
  if (!TOKEN_TYPE_PATTERN.test(header) || !names.every((name) => TOKEN_TYPE_PATTERN.test(name))) {
    throw new ConfigError('Invalid `csrf` names');
  }
  return () => ({ [header]: names.map(readCookie).find(Boolean) || '1' });
}
