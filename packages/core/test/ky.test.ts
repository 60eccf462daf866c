import ky from 'ky';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../src/create-session.js';
import { authKyOptions, createAuthKy } from '../src/ky.js';
import { startServer, type TestServer } from './helpers/http-server.js';

let server: TestServer;
let seen: Array<string | undefined>;
let failNext = 0;

beforeAll(async () => {
  seen = [];
  server = await startServer((request, response) => {
    seen.push(request.headers.authorization);
    if (failNext > 0) {
      failNext--;
      response.writeHead(503).end();
      return;
    }
    response.writeHead(request.headers.authorization === 'Bearer fresh' ? 200 : 401, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
afterAll(() => server.close());

describe('ky integration', () => {
  it('puts the current token on every physical attempt, ky retries included', async () => {
    let n = 0;
    const session = createSession({ refresh: async () => ({ accessToken: n++ ? 'never' : 'fresh', expiresIn: 300 }) });
    const api = createAuthKy(session, { origins: [server.url], ky: { prefix: server.url, retry: { limit: 2, delay: () => 1 } } });
    seen.length = 0;
    failNext = 2;
    expect(await api.get('thing').json()).toEqual({ ok: true });
    expect(seen).toEqual(['Bearer fresh', 'Bearer fresh', 'Bearer fresh']);
    session.dispose();
  });

  it('refreshes once and retries on a 401, through options spread into ky.create', async () => {
    let calls = 0;
    const session = createSession({
      refresh: async () => ({ accessToken: calls++ ? 'fresh' : 'stale', expiresIn: 300 }),
    });
    await session.getAccessToken();
    const api = ky.create({ prefix: server.url, ...authKyOptions(session, { origins: [server.url] }) });
    seen.length = 0;
    expect(await api.post('thing', { json: { a: 1 } }).json()).toEqual({ ok: true });
    expect(seen).toEqual(['Bearer stale', 'Bearer fresh']);
    expect(calls).toBe(2);
    session.dispose();
  });
});
