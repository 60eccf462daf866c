import { describe, expect, it } from 'vitest';
import { start } from './helpers/client.js';

describe('fault injection', () => {
  it('answers a refresh with whatever the faults hook returns, before any other handling', async () => {
    const answers = [
      new Response('upstream down', { status: 503 }),
      Response.json({ error: 'slow_down' }, { status: 429, headers: { 'retry-after': '7' } }),
      new Response('<!doctype html><h1>Bad gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } }),
      new Response('{"access_token":', { status: 200, headers: { 'content-type': 'application/json' } }),
    ];
    const { client, server } = await start({ faults: () => answers.shift() });
    const browser = client();
    await browser.login();
    const token = browser.refreshToken;

    const unavailable = await browser.refresh();
    expect([unavailable.status, await unavailable.text()]).toEqual([503, 'upstream down']);
    const limited = await browser.refresh();
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    const html = await browser.refresh();
    expect([html.status, html.headers.get('content-type')]).toEqual([502, 'text/html']);
    const malformed = await browser.refresh();
    await expect(malformed.json()).rejects.toThrow(SyntaxError);
    expect(browser.refreshToken).toBe(token); // none of them rotated

    expect((await browser.refresh()).status).toBe(200); // the hook returned undefined: normal handling
    expect(browser.refreshToken).not.toBe(token);
    expect(server.stats()).toMatchObject({ refreshRequests: 5, refreshSuccesses: 2, refreshFailures: 3 });
  });

  it('runs the hook on every refresh only, with the request to inspect', async () => {
    const seen: string[] = [];
    const { client } = await start({
      faults: (request) => {
        seen.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('x-tokenward-csrf')}`);
        return undefined;
      },
    });
    const browser = client();
    await browser.login();
    await browser.refresh({ csrf: 'h' });
    await browser.api('/api/me');
    expect(seen).toEqual(['POST /auth/refresh h']);
  });

  it('lets a fault hang until the client gives up, and the server still closes', async () => {
    let calls = 0;
    const { client, server } = await start({
      faults: () => {
        calls++;
        return new Promise<undefined>(() => {});
      },
    });
    const browser = client();
    await browser.login();
    await expect(browser.refresh({ signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect(calls).toBe(1);
    expect(server.stats()).toMatchObject({ refreshRequests: 1, refreshSuccesses: 0, refreshFailures: 0 });
    // onTestFinished closes the listener: a hung request must not keep it open.
  });
});

describe('refreshDelayMs', () => {
  it('delays before rotating, and rotates nothing for a client that left mid-refresh', async () => {
    const { client, server } = await start({ refreshDelayMs: 300, graceMs: 0 });
    const browser = client();
    await browser.login();
    const started = performance.now();
    expect((await browser.refresh()).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);

    // The tab closes mid-refresh: its cookie must still be the current one for the other tabs.
    const token = browser.refreshToken!;
    await expect(browser.refresh({ signal: AbortSignal.timeout(100) })).rejects.toThrow();
    const reopened = client();
    reopened.jar.set('tw_refresh', token, '/auth');
    expect((await reopened.refresh({ csrf: 'x' })).status).toBe(200);
    expect(server.stats().reuseDetections).toBe(0);
  });

  it('accepts a function, evaluated on each refresh', async () => {
    const delays = [0, 250];
    const { client } = await start({ refreshDelayMs: () => delays.shift() ?? 0 });
    const browser = client();
    await browser.login();
    let started = performance.now();
    await browser.refresh();
    expect(performance.now() - started).toBeLessThan(200);
    started = performance.now();
    await browser.refresh();
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
  });
});
