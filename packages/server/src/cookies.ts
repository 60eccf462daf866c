/**
 * The cookies of the contract, each on the narrowest path that needs it: the refresh token only
 * ever travels to the auth routes, the access cookie only to the API, the CSRF cookie and the
 * session hint (readable by the page, no secret) everywhere.
 */
export interface CookieSpec {
  name: string;
  path: string;
  /** False only for the CSRF cookie: the page must read it to echo it in a header. */
  httpOnly: boolean;
  /** Default Strict. Lax only for the sign-in flow's cookie, which must come back on the provider's redirect. */
  sameSite?: 'Lax';
}

export interface CookieSet {
  refresh: CookieSpec;
  access: CookieSpec;
  csrf: CookieSpec;
  /** The session hint: `1` while a refresh cookie exists, readable by the page and holding no secret. */
  session: CookieSpec;
  /**
   * The OpenID sign-ins in progress (state, nonce, PKCE verifier, sealed), one cookie each, named
   * by `flowCookie`: only the callback reads them.
   */
  flow: CookieSpec;
}

export const COOKIE_NAMES = { refresh: 'tw_refresh', access: 'tw_access', csrf: 'tw_csrf', session: 'tw_session', flow: 'tw_oidc' } as const;

/**
 * The name a cookie gets. Over Secure cookies: `__Host-` when its path is `/` (the browser then
 * refuses any copy with a Domain, so a sibling subdomain cannot plant one), else `__Secure-`
 * (`__Host-` demands Path=/, and a refresh token sent to every path would be worse). Without
 * Secure (plain http on localhost) no prefix is allowed, so none is used.
 */
export function cookieName(name: string, path: string, secure: boolean): string {
  if (!secure) return name;
  return path === '/' ? `__Host-${name}` : `__Secure-${name}`;
}

export function cookieSet(paths: { refresh: string; access: string }, secure: boolean): CookieSet {
  const spec = (name: string, path: string, httpOnly: boolean) => ({ name: cookieName(name, path, secure), path, httpOnly });
  return {
    refresh: spec(COOKIE_NAMES.refresh, paths.refresh, true),
    access: spec(COOKIE_NAMES.access, paths.access, true),
    csrf: spec(COOKIE_NAMES.csrf, '/', false),
    // Lets a page with no session skip its boot refresh (no 401 per anonymous visitor).
    session: spec(COOKIE_NAMES.session, '/', false),
    // Lax: it must come back on the provider's cross-site redirect to the callback.
    flow: { ...spec(COOKIE_NAMES.flow, `${paths.refresh === '/' ? '' : paths.refresh}/callback`, true), sameSite: 'Lax' },
  };
}

/**
 * The cookie of one sign-in: the flow cookie's name followed by the flow's `state`, so that sign-ins
 * started at once (every tab sent to sign in when a session ends) do not overwrite each other. The
 * state is the callback's own query parameter, so it is checked to be base64url before it names a
 * Set-Cookie: undefined when it is not. A sign-in abandoned at the provider leaves its cookie (about
 * 400 bytes) on the callback path until its Max-Age of 10 minutes ends.
 */
export function flowCookie(flow: CookieSpec, state: string | null): CookieSpec | undefined {
  return state !== null && /^[\w-]{16,128}$/.test(state) ? { ...flow, name: `${flow.name}_${state}` } : undefined;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$|\.localhost$/;

/** `'auto'`: Secure everywhere except loopback hosts, where browsers serve plain http during development. */
export function isSecure(url: URL, secure: 'auto' | boolean): boolean {
  return secure === 'auto' ? !LOOPBACK.test(url.hostname) : secure;
}

/**
 * One cookie from a request or a Cookie header value. With duplicates the first wins: browsers
 * send the most specific path first.
 */
export function readCookie(from: Request | string | undefined, name: string): string | undefined {
  const header = typeof from === 'object' ? from.headers.get('cookie') : from;
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}

/** Appends a Set-Cookie line. Values are base64url or JWTs, so they need no quoting. */
export function setCookie(headers: Pick<Headers, 'append'>, spec: CookieSpec, value: string, maxAgeSeconds: number, secure: boolean): void {
  const attributes = [`${spec.name}=${value}`, `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`, `Path=${spec.path}`, `SameSite=${spec.sameSite ?? 'Strict'}`];
  if (spec.httpOnly) attributes.push('HttpOnly');
  if (secure) attributes.push('Secure');
  headers.append('set-cookie', attributes.join('; '));
}

/** A cookie is only removed by a Set-Cookie with the same name and Path. */
export function clearCookie(headers: Pick<Headers, 'append'>, spec: CookieSpec, secure: boolean): void {
  setCookie(headers, spec, '', 0, secure);
}
