import { describe, expect, it } from 'vitest';
import { body, start } from './helpers/client.js';

describe('CSRF', () => {
  it('rejects a refresh without the x-tokenward-csrf header', async () => {
    const { client, server } = await start();
    const browser = client();
    await browser.login();
    const token = browser.refreshToken;
    const response = await browser.refresh({ csrf: false });
    expect(response.status).toBe(403);
    expect(await body(response)).toEqual({ error: 'csrf' });
    expect(browser.refreshToken).toBe(token); // nothing rotated
    expect(server.stats()).toMatchObject({ csrfRejections: 1, refreshRequests: 1, refreshFailures: 1 });
  });

  it('rejects a header that does not match the CSRF cookie (double submit)', async () => {
    const { client, server } = await start();
    const browser = client();
    await browser.login();
    expect(browser.jar.get('tw_csrf')).toMatch(/^[\w-]{43}$/);
    const response = await browser.refresh({ csrf: 'guessed' });
    expect(response.status).toBe(403);
    expect(await body(response)).toEqual({ error: 'csrf' });
    expect((await browser.refresh()).status).toBe(200);
    expect(server.stats().csrfRejections).toBe(1);
  });

  it('accepts any non-empty header when no CSRF cookie exists', async () => {
    const { client } = await start();
    const browser = client();
    await browser.login();
    browser.jar.delete('tw_csrf');
    expect((await browser.refresh({ csrf: '' })).status).toBe(403);
    expect((await browser.refresh({ csrf: 'anything' })).status).toBe(200);
  });

  it('protects logout: no header, no revocation', async () => {
    const { client, server } = await start();
    const browser = client();
    await browser.login();
    const response = await browser.request('/auth/logout', { method: 'POST', csrf: false });
    expect(response.status).toBe(403);
    expect((await browser.refresh()).status).toBe(200);
    expect(server.stats()).toMatchObject({ logouts: 0, csrfRejections: 1 });
  });

  it('protects state-changing /api methods, not safe ones', async () => {
    const { client, server } = await start({
      extraRoutes: [{ method: 'POST', path: '/api/notes', handler: () => Response.json({ saved: true }) }],
    });
    const browser = client();
    await browser.login('demo', 'cookie');
    const forged = await browser.request('/api/notes', { method: 'POST', csrf: false });
    expect(forged.status).toBe(403);
    expect(await body(forged)).toEqual({ error: 'csrf' });
    expect((await browser.request('/api/notes', { method: 'POST' })).status).toBe(200);
    expect((await browser.api('/api/me')).status).toBe(200);
    expect(server.stats().csrfRejections).toBe(1);
  });

  it('never grants CORS: a preflight is refused and no response carries CORS headers', async () => {
    const { client } = await start();
    const browser = client();
    const preflight = await browser.request('/auth/refresh', {
      method: 'OPTIONS',
      csrf: false,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(405);
    const login = await browser.request('/auth/login', {
      json: { username: 'demo', password: 'demo' },
      headers: { origin: 'https://evil.example' },
    });
    for (const response of [preflight, login]) {
      expect([...response.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});
