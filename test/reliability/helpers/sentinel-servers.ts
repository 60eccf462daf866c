// Two real HTTP servers for the leak checks. The allowed one issues recognisable sentinel tokens (an
// access token in the refresh answer's body, a refresh token in an HttpOnly cookie), serves an API
// that answers 401 to each token's first use and redirects to the foreign origin on request, and
// records everything it receives. The foreign one only records. The test then looks for the
// sentinel in every recorded place but the two where it belongs.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Every token the servers issue starts with this; nothing else in the suites does. */
export const SENTINEL = 'SENTINEL-7f3a9c2e';

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/**
 * Every place in `requests` that holds the sentinel: URLs, bodies, and each header unless
 * `allowedHeader` says the sentinel belongs there.
 */
export function leaksIn(requests: Recorded[], allowedHeader: (name: string, text: string, request: Recorded) => boolean): string[] {
  const leaks: string[] = [];
  for (const r of requests) {
    if (r.url.includes(SENTINEL)) leaks.push(`URL ${r.url}`);
    if (r.body.includes(SENTINEL)) leaks.push(`body of ${r.method} ${r.url}`);
    for (const [name, value] of Object.entries(r.headers)) {
      const text = String(value);
      if (text.includes(SENTINEL) && !allowedHeader(name, text, r)) leaks.push(`header ${name} of ${r.method} ${r.url}: ${text.slice(0, 120)}`);
    }
  }
  return leaks;
}

type Reply = { status: number; headers?: Record<string, string | string[]>; body?: string };
type Handler = (request: Recorded) => Reply;

async function start(handler: Handler): Promise<RecordingServer> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      requests.push(recorded);
      const { status, headers = {}, body = '' } = handler(recorded);
      res.writeHead(status, headers);
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type RefreshAnswer = 'ok' | '500' | 'html-echo' | 'invalid_grant' | 'bad-token-type' | 'bad-json';

export interface AllowedServer extends RecordingServer {
  /** What the next refresh answers (then `ok` again). */
  next: RefreshAnswer[];
  issued: string[];
}

/**
 * The allowed origin. `POST /auth/refresh` (cookie `tw_refresh`) and `POST /token` (client
 * credentials) issue sentinel tokens; `/api/*` wants `Authorization: Bearer <issued token>` and
 * answers 401 to a token's first use on `/api/fresh-401`; `/api/redirect` sends the caller to `to`.
 */
export async function startAllowedServer(foreignUrl: () => string): Promise<AllowedServer> {
  let n = 0;
  const issued: string[] = [];
  const next: RefreshAnswer[] = [];
  const refused = new Set<string>();
  const mint = () => {
    n++;
    const access = `${SENTINEL}-access-${n}`;
    issued.push(access);
    return { access, refresh: `${SENTINEL}-refresh-${n}` };
  };
  const server = await start((request) => {
    const path = request.url.split('?')[0];
    if (request.method === 'POST' && (path === '/auth/refresh' || path === '/token')) {
      const answer = next.shift() ?? 'ok';
      const cookie = request.headers.cookie ?? '';
      if (answer === '500') return json(500, { error: 'server_error' });
      // A careless server that echoes what it got (the cookie, with the refresh token) in an error page.
      if (answer === 'html-echo') return { status: 502, headers: { 'content-type': 'text/html' }, body: `<html><pre>${cookie} ${request.body}</pre></html>` };
      if (answer === 'invalid_grant') return json(401, { error: 'invalid_grant', error_description: `refresh token ${cookie} was revoked` }, { 'www-authenticate': `Bearer error="invalid_token", error_description="${cookie}"` });
      const { access, refresh } = mint();
      if (answer === 'bad-token-type') return json(200, { access_token: access, token_type: 'weird', expires_in: 60 });
      return json(200, { access_token: access, token_type: 'Bearer', expires_in: 60 }, { 'set-cookie': `tw_refresh=${refresh}; HttpOnly; SameSite=Strict; Path=/auth` });
    }
    if (path?.startsWith('/api/')) {
      return answerApi(path, /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1], { issued, refused, foreignUrl });
    }
    return json(404, { error: 'not_found' });
  });
  return { ...server, next, issued };
}

function json(status: number, body: unknown, headers: Record<string, string | string[]> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/**
 * `/api/*` of both allowed servers: an issued token is accepted, except on its first use of
 * `/api/fresh-401`; `/api/redirect` sends the caller to the foreign origin.
 */
function answerApi(path: string, token: string | undefined, api: { issued: string[]; refused: Set<string>; foreignUrl: () => string }): Reply {
  if (path === '/api/redirect') return { status: 302, headers: { location: `${api.foreignUrl()}/landing` } };
  const refuse = () => json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
  if (!token || !api.issued.includes(token)) return refuse();
  if (path === '/api/fresh-401' && !api.refused.has(token)) {
    api.refused.add(token);
    return refuse();
  }
  return json(200, { ok: true });
}

/**
 * The foreign origin, as an attacker would run it: it grants every CORS preflight (any header,
 * credentials included), so a browser really sends it whatever a page's fetch would attach.
 */
export const startForeignServer = () =>
  start((request) => {
    const cors = {
      'access-control-allow-origin': request.headers.origin ?? '*',
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': request.headers['access-control-request-headers'] ?? '*',
      'access-control-allow-methods': 'GET, POST, PUT, DELETE',
    };
    return { status: request.method === 'OPTIONS' ? 204 : 200, headers: { 'content-type': 'text/plain', ...cors }, body: request.method === 'OPTIONS' ? '' : 'foreign' };
  });

const STATIC_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/**
 * The allowed origin for the Chromium leak check: the cookie contract with sentinel tokens (login
 * and refresh rotate `tw_refresh`, HttpOnly on /auth; bearer mode answers the access token in the
 * body, cookie mode in an HttpOnly `tw_access` cookie on /api; `tw_csrf` is the readable CSRF
 * cookie), the API of `startAllowedServer`, `POST /test/next` to choose the next refresh answer, and
 * the page's files from `staticDir`.
 */
export async function startBrowserAllowedServer(staticDir: string, foreignUrl: () => string, readFile: (path: string) => string | undefined): Promise<AllowedServer> {
  let n = 0;
  const issued: string[] = [];
  const next: RefreshAnswer[] = [];
  const refused = new Set<string>();
  const modes = new Map<string, 'bearer' | 'cookie'>();
  const cookies = (header: string | undefined) => new Map((header ?? '').split(';').map((part) => part.trim().split('=') as [string, string]));
  const session = (mode: 'bearer' | 'cookie', csrf: boolean) => {
    n++;
    const access = `${SENTINEL}-access-${n}`;
    const refresh = `${SENTINEL}-refresh-${n}`;
    issued.push(access);
    modes.set(refresh, mode);
    const setCookie = [`tw_refresh=${refresh}; HttpOnly; SameSite=Strict; Path=/auth; Max-Age=3600`];
    if (csrf) setCookie.push('tw_csrf=csrf-4d1e; SameSite=Strict; Path=/; Max-Age=3600');
    if (mode === 'cookie') {
      setCookie.push(`tw_access=${access}; HttpOnly; SameSite=Strict; Path=/api; Max-Age=60`);
      return json(200, { token_type: 'cookie', expires_in: 60 }, { 'set-cookie': setCookie });
    }
    return json(200, { access_token: access, token_type: 'Bearer', expires_in: 60 }, { 'set-cookie': setCookie });
  };

  const server = await start((request) => {
    const path = request.url.split('?')[0]!;
    const jar = cookies(request.headers.cookie);
    if (request.method === 'GET' && (path === '/' || /^\/[\w.-]+\.(html|js)$/.test(path))) {
      const file = readFile(`${staticDir}/${path === '/' ? 'leak.html' : path.slice(1)}`);
      return file === undefined ? json(404, {}) : { status: 200, headers: { 'content-type': STATIC_TYPES[path.slice(path.lastIndexOf('.'))] ?? STATIC_TYPES['.html']! }, body: file };
    }
    if (request.method === 'POST' && path === '/test/next') {
      next.push(request.body as RefreshAnswer);
      return { status: 204 };
    }
    if (request.method === 'POST' && path === '/auth/login') {
      const { mode } = JSON.parse(request.body || '{}') as { mode?: 'bearer' | 'cookie' };
      return session(mode === 'cookie' ? 'cookie' : 'bearer', true);
    }
    if (request.method === 'POST' && path === '/auth/refresh') {
      if (!request.headers['x-tokenward-csrf']) return json(403, { error: 'csrf' });
      const answer = next.shift() ?? 'ok';
      const presented = jar.get('tw_refresh') ?? '';
      if (answer === '500') return json(500, { error: 'server_error' });
      // A careless server that echoes the request's cookies (the refresh token) in its error page.
      if (answer === 'html-echo') return { status: 502, headers: { 'content-type': 'text/html' }, body: `<pre>${request.headers.cookie}</pre>` };
      if (answer === 'bad-json') return { status: 200, headers: { 'content-type': 'application/json' }, body: `{"access_token":"${SENTINEL}-truncated` };
      if (answer === 'invalid_grant' || !modes.has(presented)) {
        return json(401, { error: 'invalid_grant', error_description: `token ${presented} revoked` }, { 'set-cookie': 'tw_refresh=; HttpOnly; Path=/auth; Max-Age=0' });
      }
      const mode = modes.get(presented)!;
      modes.delete(presented);
      return session(mode, false);
    }
    if (request.method === 'POST' && path === '/auth/logout') {
      return { status: 204, headers: { 'set-cookie': ['tw_refresh=; HttpOnly; Path=/auth; Max-Age=0', 'tw_access=; HttpOnly; Path=/api; Max-Age=0', 'tw_csrf=; Path=/; Max-Age=0'] } };
    }
    if (path.startsWith('/api/')) {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? jar.get('tw_access');
      return answerApi(path, token, { issued, refused, foreignUrl });
    }
    return json(404, { error: 'not_found' });
  });
  return { ...server, next, issued };
}
