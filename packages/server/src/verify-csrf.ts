import { COOKIE_NAMES, readCookie } from './cookies.js';
import { secretsEqual } from './crypto.js';

export interface CsrfCheckOptions {
  /** Default `x-tokenward-csrf`. */
  header?: string;
  /** The readable CSRF cookie's name. Default: `__Host-tw_csrf`, else `tw_csrf` (plain http on localhost). */
  cookie?: string;
}

export const CSRF_HEADER = 'x-tokenward-csrf';

/**
 * Double-submit check for a state-changing request. A cross-site form cannot set a custom
 * header and a cross-origin script needs a CORS preflight, which these routes never grant, so
 * the header alone proves a page of this origin sent the request. When the CSRF cookie exists
 * the header must also equal it: defence in depth should anything on the origin ever grant
 * CORS, since a foreign page still cannot read the cookie to copy it.
 *
 * @example
 * if (request.method === 'POST' && !verifyCsrf(request)) return new Response(null, { status: 403 });
 */
export function verifyCsrf(request: Request, options: CsrfCheckOptions = {}): boolean {
  const header = request.headers.get(options.header ?? CSRF_HEADER);
  if (!header) return false;
  const cookie =
    options.cookie === undefined
      ? (readCookie(request, `__Host-${COOKIE_NAMES.csrf}`) ?? readCookie(request, COOKIE_NAMES.csrf))
      : readCookie(request, options.cookie);
  return cookie === undefined || secretsEqual(header, cookie);
}
