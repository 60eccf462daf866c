import { CSRF_COOKIE, readCookie } from './cookies.js';
import { secretsEqual } from './crypto.js';

export const CSRF_HEADER = 'x-tokenward-csrf';

/**
 * Double-submit check. A cross-site form cannot set a custom header, and a cross-origin
 * script would need a CORS preflight, which this server never grants; so the header
 * alone proves the request came from a page of this origin. When the CSRF cookie exists
 * the header must also equal it: defence in depth should anything on this origin ever
 * grant CORS, since a foreign page still cannot read our cookie to copy it.
 */
export async function hasValidCsrf(request: Request): Promise<boolean> {
  const header = request.headers.get(CSRF_HEADER);
  if (!header) return false;
  const cookie = readCookie(request, CSRF_COOKIE);
  return cookie === undefined || (await secretsEqual(header, cookie));
}
