import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import express from 'express';
import { toNodeHandler } from '../src/index.js';
import { auth } from './fixtures/readme/auth.js';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CookieJar } from './helpers/cookie-jar.js';
import { app as expressApp } from './fixtures/readme/express.js';
import { app as honoApp } from './fixtures/readme/hono.js';
import { server as nodeServer } from './fixtures/readme/node-http.js';

async function listening(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A browser profile over real HTTP: cookies kept, the CSRF cookie echoed on POST. */
function browser(origin: string) {
  const jar = new CookieJar();
  return {
    jar,
    async call(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
      const headers = new Headers(init.headers);
      const cookie = jar.header(`${origin}${path}`);
      if (cookie) headers.set('cookie', cookie);
      if (init.method === 'POST') headers.set('x-tokenward-csrf', jar.get('tw_csrf') ?? '1');
      if (init.json !== undefined) headers.set('content-type', 'application/json');
      const response = await fetch(`${origin}${path}`, { ...init, headers, body: init.json === undefined ? init.body : JSON.stringify(init.json) });
      jar.store(response);
      return response;
    },
  };
}

/** The whole contract through one adapter: sign in, refresh (rotated), the protected API, sign out. */
async function exercise(origin: string, { api = true } = {}) {
  const tab = browser(origin);
  const wrong = await tab.call('/auth/login', { method: 'POST', json: { email: 'ada@example.com', password: 'nope' } });
  expect(wrong.status).toBe(401);
  const login = await tab.call('/auth/login', { method: 'POST', json: { email: 'ada@example.com', password: 'correct horse' } });
  expect(login.status).toBe(200);
  expect(login.headers.getSetCookie().map((line) => line.split('=')[0])).toEqual(['tw_refresh', 'tw_session', 'tw_csrf']);
  const first = tab.jar.get('tw_refresh');
  const refresh = await tab.call('/auth/refresh', { method: 'POST' });
  expect(refresh.status).toBe(200);
  expect(refresh.headers.get('cache-control')).toBe('no-store');
  expect(tab.jar.get('tw_refresh')).not.toBe(first);
  const { access_token: token } = (await refresh.json()) as { access_token: string };
  if (api) {
    const admin = await tab.call('/api/admin', { headers: { authorization: `Bearer ${token}` } });
    expect([admin.status, await admin.json()]).toEqual([200, { hello: 'user-1' }]);
    const anonymous = await tab.call('/api/admin');
    expect([anonymous.status, anonymous.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
  }
  expect((await tab.call('/.well-known/jwks.json')).status).toBe(200);
  expect((await tab.call('/auth/logout', { method: 'POST' })).status).toBe(204);
  expect((await tab.call('/auth/refresh', { method: 'POST' })).status).toBe(401);
  expect((await tab.call('/elsewhere')).status).toBe(404);
}

describe('adapters (the README snippets)', () => {
  it('node:http: toNodeHandler answers the contract and hands anything else to next()', async () => {
    await exercise(await listening(nodeServer), { api: false });
  });

  it('Express: toNodeHandler as middleware, the verifier on an Express route', async () => {
    await exercise(await listening(createServer(expressApp)));
  });

  it('Hono: handle as middleware with the client address, the verifier on a Hono route', async () => {
    await exercise(await listening(createAdaptorServer({ fetch: honoApp.fetch }) as Server));
  });

  it('Express: a request the handler passes on keeps its body for the next body parser', async () => {
    const app = express();
    app.use(toNodeHandler(auth));
    app.use(express.json());
    app.post('/api/echo', (req, res) => {
      res.json(req.body);
    });
    const origin = await listening(createServer(app));
    const echo = await fetch(`${origin}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"note":"kept"}' });
    expect([echo.status, await echo.json()]).toEqual([200, { note: 'kept' }]);
  });

  it('the README shows each snippet exactly as tested', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const file of ['auth.ts', 'node-http.ts', 'express.ts', 'hono.ts']) {
      const snippet = readFileSync(new URL(`./fixtures/readme/${file}`, import.meta.url), 'utf8');
      expect(readme, file).toContain(snippet.trim());
    }
  });
});
