import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request as httpRequest } from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { toNodeHandler } from '../src/index.js';
import { parseSetCookie } from './helpers/cookie-jar.js';
import { body, setup } from './helpers/harness.js';

const attributesOf = (response: Response) =>
  Object.fromEntries(response.headers.getSetCookie().map((line) => {
    const cookie = parseSetCookie(line);
    return [cookie.name, Object.fromEntries(cookie.attributes)];
  }));

describe('cookies', () => {
  it('off localhost: Secure, HttpOnly, SameSite=Strict, __Secure- on the narrow paths and __Host- on Path=/', async () => {
    const { client } = setup({ idleTtlSeconds: 600, accessTtlSeconds: 60 });
    const login = await client({ origin: 'https://app.example.com' }).login('alice', 'cookie');
    expect(attributesOf(login)).toEqual({
      '__Secure-tw_refresh': { 'max-age': '600', path: '/auth', samesite: 'Strict', httponly: true, secure: true },
      // The session hint: readable, no secret, as long-lived as the refresh cookie.
      '__Host-tw_session': { 'max-age': '600', path: '/', samesite: 'Strict', secure: true },
      '__Host-tw_csrf': { 'max-age': String(30 * 24 * 3600), path: '/', samesite: 'Strict', secure: true },
      '__Secure-tw_access': { 'max-age': '60', path: '/api', samesite: 'Strict', httponly: true, secure: true },
    });
  });

  it('is Secure by default on a plain-http host too (a TLS-terminating proxy), and only loopback hosts go without', async () => {
    const { client } = setup();
    for (const origin of ['http://app.example.com', 'http://10.0.0.5:8080']) {
      expect(Object.keys(attributesOf(await client({ origin }).login()))).toEqual(['__Secure-tw_refresh', '__Host-tw_session', '__Host-tw_csrf']);
    }
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000', 'http://app.localhost']) {
      const cookies = attributesOf(await client({ origin }).login());
      expect(Object.keys(cookies), origin).toEqual(['tw_refresh', 'tw_session', 'tw_csrf']);
      expect(cookies.tw_refresh?.secure, origin).toBeUndefined();
    }
  });

  it('reads the refresh cookie only under the name its request gets: a plain copy on https is not honoured', async () => {
    const { client } = setup();
    const secure = client({ origin: 'https://app.example.com' });
    await secure.login();
    const token = secure.refreshToken!;
    const tossed = client({ origin: 'https://app.example.com' });
    tossed.jar.set('tw_refresh', token, '/auth');
    expect((await tossed.refresh()).status).toBe(401);
    expect((await secure.refresh()).status).toBe(200);
  });

  it('gives the refresh cookie __Host- when the base path is /', async () => {
    const { client } = setup({ basePath: '/' });
    const login = await client({ origin: 'https://app.example.com' }).request('/login', { json: { username: 'alice', password: 'ecila' } });
    expect(Object.keys(attributesOf(login))).toEqual(['__Host-tw_refresh', '__Host-tw_session', '__Host-tw_csrf']);
  });
});

describe('rate limits', () => {
  it('limits logins per client address with 429 and Retry-After; other addresses pass; the bucket refills', async () => {
    const { client, clock, count } = setup({ rateLimit: { login: { burst: 3, perMinute: 6 } } });
    const attacker = client({ clientAddress: '198.51.100.7' });
    for (let i = 0; i < 3; i++) expect((await attacker.login('alice', 'bearer', 'guess')).status).toBe(401);
    const limited = await attacker.login();
    expect([limited.status, limited.headers.get('retry-after'), await body(limited)]).toEqual([429, '10', { error: 'rate_limited' }]);
    expect(limited.headers.get('cache-control')).toBe('no-store');
    expect((await client({ clientAddress: '203.0.113.9' }).login()).status).toBe(200);
    clock.advance(10_000);
    expect((await attacker.login()).status).toBe(200);
    expect(count('rate_limited')).toBe(1);
  });

  it('limits rotations per family: a refresh loop is stopped with 429 and rotates nothing more', async () => {
    const { client, clock, count } = setup({ rateLimit: { family: { burst: 2, perMinute: 2 } } });
    const browser = client();
    await browser.login();
    expect((await browser.refresh()).status).toBe(200);
    expect((await browser.refresh()).status).toBe(200);
    const token = browser.refreshToken;
    const limited = await browser.refresh();
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '30']);
    expect(browser.refreshToken).toBe(token);
    expect(count('refresh')).toBe(2);
    clock.advance(30_000);
    expect((await browser.refresh()).status).toBe(200);
  });

  it("lets a burst of concurrent refreshes from one family's tabs through: one rotation, the rest share its answer", async () => {
    const { client, count } = setup({ rateLimit: { refresh: { burst: 2, perMinute: 2 }, family: { burst: 1, perMinute: 1 } } });
    const browser = client();
    await browser.login();
    const token = browser.refreshToken!;
    const tabs = Array.from({ length: 30 }, () => browser.withRefreshToken(token));
    const answers = await Promise.all(tabs.map((tab) => tab.refresh()));
    expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(200));
    expect(new Set(tabs.map((tab) => tab.refreshToken)).size).toBe(1);
    expect([count('refresh'), count('grace'), count('rate_limited'), count('reuse')]).toEqual([1, 29, 0, 0]);
  });

  it('skips per-address limits, with one warning, when no address is known: one shared bucket would lock everyone out', async () => {
    const { auth, logs, count } = setup({ rateLimit: { login: { burst: 1, perMinute: 1 } } });
    const login = () =>
      auth.handle(new Request('http://localhost/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"username":"alice","password":"ecila"}' }));
    expect([(await login())?.status, (await login())?.status, (await login())?.status]).toEqual([200, 200, 200]);
    expect(count('rate_limited')).toBe(0);
    expect(logs).toEqual([expect.stringMatching(/^tokenward: no client address, so no per-address rate limits/)]);
  });

  it('limits refreshes per client address, whatever the family', async () => {
    const { client, count } = setup({ rateLimit: { refresh: { burst: 2, perMinute: 1 } } });
    const browser = client();
    for (let i = 0; i < 2; i++) expect((await browser.withRefreshToken(`guess-${i}`).refresh()).status).toBe(401);
    const limited = await browser.withRefreshToken('guess-3').refresh();
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '60']);
    expect(count('rate_limited')).toBe(1);
  });
});

describe('requests', () => {
  async function serve(options: Parameters<typeof setup>[0] = {}) {
    const context = setup({ maxBodyBytes: 1024, ...options });
    const http = createServer(toNodeHandler(context.auth));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    onTestFinished(() => new Promise<void>((resolve) => http.close(() => resolve())));
    return { ...context, port: (http.address() as AddressInfo).port };
  }

  /** A raw request, so the body can be chunked (no Content-Length) and the socket watched. */
  function post(port: number, chunks: string[], headers: Record<string, string> = {}) {
    return new Promise<{ status: number; connection: string | undefined; cache: string | undefined }>((resolve, reject) => {
      const request = httpRequest({ port, host: '127.0.0.1', method: 'POST', path: '/auth/login', headers: { 'content-type': 'application/json', ...headers } }, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, cache: response.headers['cache-control'] }));
      });
      // The server may close while a big body is still being written: the answer counts, a later EPIPE not.
      request.on('error', (error) => setTimeout(() => reject(error), 1000));
      for (const chunk of chunks) request.write(chunk);
      request.end();
    });
  }

  it('answers a body over the limit 413 with Connection: close, declared or streamed', async () => {
    const { port, count } = await serve();
    const big = JSON.stringify({ username: 'alice', password: 'x'.repeat(2000) });
    expect(await post(port, [big], { 'content-length': String(big.length) })).toEqual({ status: 413, connection: 'close', cache: 'no-store' });
    expect(await post(port, [big.slice(0, 600), big.slice(600)])).toEqual({ status: 413, connection: 'close', cache: 'no-store' });
    const huge = Array.from({ length: 64 }, (_, i) => (i === 0 ? '{"password":"' : 'x'.repeat(16 * 1024)));
    expect(await post(port, huge)).toEqual({ status: 413, connection: 'close', cache: 'no-store' });
    const small = JSON.stringify({ username: 'alice', password: 'ecila' });
    expect((await post(port, [small])).status).toBe(200);
    expect(count('too_large')).toBe(3);
  });

  it('passes the socket address to the rate limits', async () => {
    const { port, events } = await serve({ rateLimit: { login: { burst: 1, perMinute: 1 } } });
    const small = JSON.stringify({ username: 'alice', password: 'ecila' });
    expect([(await post(port, [small])).status, (await post(port, [small])).status]).toEqual([200, 429]);
    expect(events.at(-1)).toEqual({ type: 'rate_limited', route: 'login', scope: 'address' });
  });

  it('rotates nothing for a refresh whose client has already gone', async () => {
    const { client } = setup();
    const browser = client();
    await browser.login();
    const token = browser.refreshToken;
    const gone = await browser.refresh({ signal: AbortSignal.abort() });
    expect(gone.status).toBe(499);
    expect(browser.refreshToken).toBe(token);
    expect((await browser.refresh()).status).toBe(200);
  });

  it('marks every answer no-store: success, refusal and error alike', async () => {
    const { client } = setup({ authenticate: () => Promise.reject(new Error('database down')) });
    const browser = client();
    for (const response of [await browser.login(), await browser.refresh(), await browser.refresh({ csrf: false }), await browser.request('/auth/login')]) {
      expect([response.status, response.headers.get('cache-control')]).toEqual([expect.any(Number), 'no-store']);
    }
  });
});

describe('logs', () => {
  it('never write a token: a full session with a reuse, a failure and a logout leaves none in any line', async () => {
    let failNext = false;
    const { client, clock, logs } = setup({
      graceMs: 1000,
      authenticate: async () => {
        if (failNext) throw new Error('directory unavailable');
        return { sub: 'alice' };
      },
    });
    const tokens = new Set<string>();
    const collect = async (response: Response) => {
      // Every cookie value but the session hint ("1", no secret).
      for (const line of response.headers.getSetCookie()) if (!parseSetCookie(line).name.endsWith('tw_session')) tokens.add(parseSetCookie(line).value);
      const text = await response.clone().text();
      for (const match of text.matchAll(/"access_token":"([^"]+)"/g)) tokens.add(match[1]!);
    };
    const browser = client();
    await collect(await browser.login('alice', 'cookie'));
    const parent = browser.refreshToken!;
    await collect(await browser.refresh());
    clock.advance(1000);
    await collect(await browser.withRefreshToken(parent).refresh()); // reuse: logged
    await collect(await browser.login());
    failNext = true;
    await collect(await browser.login()); // failure: logged
    await collect(await browser.logout());
    tokens.delete('');
    expect(logs.length).toBe(2);
    expect(tokens.size).toBeGreaterThanOrEqual(5);
    for (const line of logs) for (const token of tokens) expect(line.includes(token)).toBe(false);
  });
});
