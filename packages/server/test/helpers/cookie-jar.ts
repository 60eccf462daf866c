/** One Set-Cookie line, parsed: attribute names lower-cased, flags as `true`. */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Map<string, string | true>;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string | true>();
  for (const attribute of rest) {
    const [key = '', ...value] = attribute.trim().split('=');
    attributes.set(key.toLowerCase(), value.length > 0 ? value.join('=') : true);
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/**
 * A minimal browser-like jar for Node's fetch: cookies keyed by name and Path, sent to
 * matching paths (most specific first), removed by Max-Age=0. Domain is ignored: every
 * test talks to one host.
 */
export class CookieJar {
  readonly #cookies = new Map<string, { name: string; value: string; path: string }>();

  /** Takes every Set-Cookie of a response; returns them parsed for assertions. */
  store(response: Response): SetCookie[] {
    const parsed = response.headers.getSetCookie().map(parseSetCookie);
    for (const cookie of parsed) {
      const path = String(cookie.attributes.get('path') ?? '/');
      const key = `${cookie.name};${path}`;
      if (cookie.attributes.get('max-age') === '0') this.#cookies.delete(key);
      else this.#cookies.set(key, { name: cookie.name, value: cookie.value, path });
    }
    return parsed;
  }

  /** The Cookie header a browser would send to this URL path. */
  header(url: string): string {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter(({ path }) => pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .sort((a, b) => b.path.length - a.path.length)
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }

  get(name: string): string | undefined {
    return [...this.#cookies.values()].find((cookie) => cookie.name === name)?.value;
  }

  /** Plants a cookie, as if an earlier response had set it (to replay an old token). */
  set(name: string, value: string, path: string): void {
    this.#cookies.set(`${name};${path}`, { name, value, path });
  }

  delete(name: string): void {
    for (const [key, cookie] of this.#cookies) if (cookie.name === name) this.#cookies.delete(key);
  }
}
