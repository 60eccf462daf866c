import { onTestFinished } from 'vitest';
import { createAuthHandler, type AuthEvent, type AuthHandler, type AuthHandlerOptions } from '../../src/index.js';
import { CookieJar } from './cookie-jar.js';

export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'https://api.test';

/** Test accounts: the password is the name reversed; roles and scope come back as claims. */
export const authenticate: AuthHandlerOptions['authenticate'] = async (request) => {
  const { username, password } = (await request.json()) as { username?: string; password?: string };
  if (typeof username !== 'string' || password !== [...username].reverse().join('')) return undefined;
  return { sub: username, claims: { roles: username === 'root' ? ['admin'] : ['user'], scope: 'notes:read' } };
};

export interface RequestOptions extends Omit<RequestInit, 'body'> {
  json?: unknown;
  /** `true` (default for POST): echo the jar's CSRF cookie, or `'x'` when there is none; a string: send it; `false`: omit. */
  csrf?: boolean | string;
  /** Default the client's. */
  clientAddress?: string;
}

/** One browser profile talking to `handle` directly: a cookie jar and the calls the SDK makes. */
export class Client {
  readonly jar = new CookieJar();

  constructor(
    readonly auth: AuthHandler,
    readonly origin: string,
    readonly clientAddress: string,
  ) {}

  async request(path: string, { json, csrf, clientAddress = this.clientAddress, ...init }: RequestOptions = {}): Promise<Response> {
    const url = `${this.origin}${path}`;
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const method = init.method ?? (json === undefined ? 'GET' : 'POST');
    const echo = this.jar.get('__Host-tw_csrf') ?? this.jar.get('tw_csrf') ?? 'x';
    const csrfValue = csrf === true || (csrf === undefined && method !== 'GET') ? echo : csrf;
    if (typeof csrfValue === 'string') headers.set('x-tokenward-csrf', csrfValue);
    if (json !== undefined) headers.set('content-type', 'application/json');
    const request = new Request(url, { ...init, method, headers, body: json === undefined ? null : JSON.stringify(json) });
    const response = await this.auth.handle(request, { clientAddress });
    if (!response) throw new Error(`handle did not answer ${method} ${path}`);
    this.jar.store(response);
    return response;
  }

  login(username = 'alice', mode?: 'bearer' | 'cookie', password = [...username].reverse().join('')): Promise<Response> {
    return this.request('/auth/login', { json: { username, password, mode } });
  }

  refresh(options: RequestOptions = {}): Promise<Response> {
    return this.request('/auth/refresh', { method: 'POST', ...options });
  }

  logout(options: RequestOptions = {}): Promise<Response> {
    return this.request('/auth/logout', { method: 'POST', ...options });
  }

  /** The refresh token the jar holds, under either name. */
  get refreshToken(): string | undefined {
    return this.jar.get('__Secure-tw_refresh') ?? this.jar.get('tw_refresh');
  }

  /** A second profile holding a copy of a refresh token, as a thief or a lagging tab would. */
  withRefreshToken(token: string): Client {
    const other = new Client(this.auth, this.origin, this.clientAddress);
    other.jar.set(this.jar.get('__Secure-tw_refresh') ? '__Secure-tw_refresh' : 'tw_refresh', token, '/auth');
    return other;
  }
}

export interface Setup {
  auth: AuthHandler;
  clock: { now: () => number; advance(ms: number): void };
  events: AuthEvent[];
  /** Every line the handler logged. */
  logs: string[];
  client(options?: { origin?: string; clientAddress?: string }): Client;
  count(type: AuthEvent['type']): number;
}

/** A handler on a manual clock, recording its events and logs, closed when the test ends. */
export function setup(options: Partial<AuthHandlerOptions> = {}): Setup {
  let now = Date.now();
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const events: AuthEvent[] = [];
  const logs: string[] = [];
  const record = (...args: unknown[]) => logs.push(args.map((arg) => (arg instanceof Error ? `${arg.message} ${arg.stack}` : String(arg))).join(' '));
  const auth = createAuthHandler({
    authenticate,
    issuer: ISSUER,
    audience: AUDIENCE,
    clock: clock.now,
    keyRotationMs: 0,
    onEvent: (event) => events.push(event),
    logger: { warn: record, error: record },
    ...options,
  });
  onTestFinished(() => auth.close());
  return {
    auth,
    clock,
    events,
    logs,
    client: ({ origin = 'http://localhost:3000', clientAddress = '203.0.113.1' } = {}) => new Client(auth, origin, clientAddress),
    count: (type) => events.filter((event) => event.type === type).length,
  };
}

export async function body(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}
