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

type Handler = (request: Recorded) => { status: number; headers?: Record<string, string | string[]>; body?: string };

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

export type RefreshAnswer = 'ok' | '500' | 'html-echo' | 'invalid_grant' | 'bad-token-type';

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
  const json = (status: number, body: unknown, headers: Record<string, string | string[]> = {}) => ({ status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
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
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (path === '/api/redirect') return { status: 302, headers: { location: `${foreignUrl()}/landing` } };
      if (!token || !issued.includes(token)) return json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      if (path === '/api/fresh-401' && !refused.has(token)) {
        refused.add(token);
        return json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      return json(200, { ok: true });
    }
    return json(404, { error: 'not_found' });
  });
  return { ...server, next, issued };
}

export const startForeignServer = () => start(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'foreign' }));
