/**
 * The three cookies of the contract. Each is scoped to the narrowest path that needs it:
 * the refresh token only ever travels to /auth, the access cookie only to /api.
 */
export interface CookieSpec {
  name: string;
  path: string;
  /** False only for the CSRF cookie: the page must read it to echo it in a header. */
  httpOnly: boolean;
}

export const REFRESH_COOKIE: CookieSpec = { name: 'tw_refresh', path: '/auth', httpOnly: true };
export const ACCESS_COOKIE: CookieSpec = { name: 'tw_access', path: '/api', httpOnly: true };
export const CSRF_COOKIE: CookieSpec = { name: 'tw_csrf', path: '/', httpOnly: false };

/** Parses the Cookie header. With duplicates the first wins: browsers send the most specific path first. */
export function readCookies(request: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

export function readCookie(request: Request, spec: CookieSpec): string | undefined {
  const value = readCookies(request).get(spec.name);
  return value === '' ? undefined : value;
}

/** `secure: 'auto'` means "only over https", so the demo also works on plain http://127.0.0.1. */
export function isSecure(request: Request, secure: 'auto' | boolean): boolean {
  return secure === 'auto' ? new URL(request.url).protocol === 'https:' : secure;
}

/** Appends a Set-Cookie line. Values are base64url or JWTs, so they need no quoting. */
export function setCookie(
  headers: Headers,
  spec: CookieSpec,
  value: string,
  maxAgeSeconds: number,
  secure: boolean,
): void {
  const attributes = [
    `${spec.name}=${value}`,
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    `Path=${spec.path}`,
    'SameSite=Strict',
  ];
  if (spec.httpOnly) attributes.push('HttpOnly');
  if (secure) attributes.push('Secure');
  headers.append('set-cookie', attributes.join('; '));
}

/** A cookie is only removed by a Set-Cookie with the same name and Path. */
export function clearCookie(headers: Headers, spec: CookieSpec, secure: boolean): void {
  setCookie(headers, spec, '', 0, secure);
}
