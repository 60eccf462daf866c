import { onTestFinished } from 'vitest';
import { createAuthServer, listen, type AuthServer, type AuthServerOptions } from '../../src/index.js';
import { CookieJar } from '../../../../packages/server/test/helpers/cookie-jar.js';

export interface RequestOptions extends Omit<RequestInit, 'body'> {
  json?: unknown;
  /** `true` (default for POST): echo the jar's CSRF cookie, or `'x'` when there is none; a string: send it; `false`: omit. */
  csrf?: boolean | string;
}

/** One browser profile: a cookie jar and the calls the SDK makes. */
export class Client {
  constructor(
    readonly url: string,
    readonly jar = new CookieJar(),
  ) {}

  async request(path: string, { json, csrf, ...init }: RequestOptions = {}): Promise<Response> {
    const url = `${this.url}${path}`;
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const method = init.method ?? (json === undefined ? 'GET' : 'POST');
    const csrfValue = csrf === true || (csrf === undefined && method !== 'GET') ? (this.jar.get('tw_csrf') ?? 'x') : csrf;
    if (typeof csrfValue === 'string') headers.set('x-tokenward-csrf', csrfValue);
    if (json !== undefined) headers.set('content-type', 'application/json');
    const response = await fetch(url, {
      ...init,
      method,
      headers,
      body: json === undefined ? null : JSON.stringify(json),
    });
    this.jar.store(response);
    return response;
  }

  login(username = 'demo', mode?: 'bearer' | 'cookie', password = username): Promise<Response> {
    return this.request('/auth/login', { json: { username, password, mode } });
  }

  refresh(options: RequestOptions = {}): Promise<Response> {
    return this.request('/auth/refresh', { method: 'POST', ...options });
  }

  /** `Authorization: Bearer` when a token is given, else whatever cookies the jar holds. */
  api(path: string, token?: string): Promise<Response> {
    return this.request(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  }

  get refreshToken(): string | undefined {
    return this.jar.get('tw_refresh');
  }
}

export interface Started {
  server: AuthServer;
  url: string;
  client(): Client;
}

/** A server on 127.0.0.1, port 0, closed when the test ends. */
export async function start(options?: AuthServerOptions): Promise<Started> {
  const server = createAuthServer(options);
  const http = await listen(server, { port: 0 });
  onTestFinished(async () => {
    await http.close();
    server.close();
  });
  return { server, url: http.url, client: () => new Client(http.url) };
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.now()) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

export async function body(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}
