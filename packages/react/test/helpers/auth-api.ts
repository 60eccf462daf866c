import { createSession, RefreshFailedError, type Session } from '@tokenward/core';
import { fakeJwt } from '../../../core/test/helpers/jwt.js';
import { startServer, type TestServer } from '../../../core/test/helpers/http-server.js';

/**
 * A real token endpoint and API on 127.0.0.1: `POST /token` issues the next JWT (counted), the API
 * accepts only the newest one. CORS is granted, as a page on another origin (happy-dom's) needs it.
 */
export async function startAuthApi() {
  const state = { issued: 0, refreshCalls: 0, apiCalls: 0 };
  const jwt = (n: number) => fakeJwt({ sub: 'ada', name: 'Ada', n, exp: 4_000_000_000 });
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, content-type', 'content-type': 'application/json' };
  const server: TestServer = await startServer((request, response) => {
    if (request.method === 'OPTIONS') return void response.writeHead(204, cors).end();
    if (request.url === '/token') {
      state.refreshCalls++;
      state.issued++;
      return void response.writeHead(200, cors).end(JSON.stringify({ access_token: jwt(state.issued), expires_in: 300 }));
    }
    state.apiCalls++;
    const ok = request.headers.authorization === `Bearer ${jwt(state.issued)}`;
    response.writeHead(ok ? 200 : 401, cors).end(JSON.stringify(ok ? { name: 'Ada Lovelace' } : { error: 'invalid_token' }));
  });

  /** A core session whose refresher calls the token endpoint; `stale` starts it with a token the API refuses. */
  function session(options: { stale?: boolean } = {}): Session {
    // The API moved on to a token nobody holds: the session's own, still unexpired, is refused.
    if (options.stale) state.issued++;
    return createSession({
      tokens: options.stale ? { accessToken: jwt(state.issued - 1), expiresIn: 300 } : undefined,
      async refresh({ signal }) {
        const response = await fetch(`${server.url}/token`, { method: 'POST', signal });
        if (!response.ok) throw new RefreshFailedError('Refresh refused', { status: response.status });
        const body = await response.json();
        return { accessToken: body.access_token, expiresIn: body.expires_in };
      },
    });
  }

  return { url: server.url, state, session, jwt, close: () => server.close() };
}
