// Leak check (Chromium): the page's flows (sign-in, API calls, a 401 retry, a redirect to a foreign
// origin, foreign requests, refresh failures including a server echoing the cookie, a refused
// refresh, bad sign-ins, sign-out) in bearer and cookie mode, against a server issuing sentinel
// tokens. Then the sentinel is searched everywhere a token could leak to: console output, page
// errors, error messages/stacks/JSON and event payloads as the page sees them, web storage,
// IndexedDB, Cache Storage, document.cookie, window.name, the URL, resource timing, every request
// URL Chromium made, and everything both servers received. It may appear only in an Authorization
// header sent to the allowed origin, and in an HttpOnly cookie sent back to it.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestPage } from '../browser/helpers/build-page.js';
import { launchChromium } from '../browser/helpers/chromium.js';
import { SENTINEL, leaksIn, startBrowserAllowedServer, startForeignServer, type AllowedServer, type RecordingServer } from './helpers/sentinel-servers.js';

type Mode = 'bearer' | 'cookie';

let browser: Browser;
let allowed: AllowedServer;
let foreign: RecordingServer;
/** The foreign origin as the page sees it: another site (localhost vs 127.0.0.1), so no cookie is shared. */
let foreignOrigin: string;
const places = new Map<string, string[]>();
const record = (place: string, text: string) => places.set(place, [...(places.get(place) ?? []), text]);
const requestUrls: string[] = [];
const cookieJars: Array<{ mode: Mode; name: string; value: string; httpOnly: boolean }> = [];

beforeAll(async () => {
  const dir = await buildTestPage();
  copyFileSync(fileURLToPath(new URL('./fixtures/leak-app.js', import.meta.url)), join(dir, 'leak-app.js'));
  writeFileSync(join(dir, 'leak.html'), '<!doctype html><meta charset="utf-8"><title>leak</title><script src="/tokenward.js"></script><script src="/leak-app.js"></script>\n');
  foreign = await startForeignServer();
  foreignOrigin = foreign.url.replace('127.0.0.1', 'localhost');
  allowed = await startBrowserAllowedServer(dir, () => foreignOrigin, (path) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await allowed?.close();
  await foreign?.close();
});

async function runPage(mode: Mode): Promise<void> {
  const context = await browser.newContext();
  context.on('request', (request) => requestUrls.push(request.url()));
  const page = await context.newPage();
  page.on('console', (message) => record(`console.${message.type()} (${mode})`, message.text()));
  page.on('pageerror', (error) => record(`page error (${mode})`, `${error.message}\n${error.stack}`));
  await page.goto(`${allowed.url}/?mode=${mode}`);
  type Leak = { leak: { run(f: string): Promise<string[]>; finish(): Promise<string[]> } };
  const texts = await page.evaluate((origin) => (window as unknown as Leak).leak.run(origin), foreignOrigin);
  // The jar while signed in (sign-out clears it): a token may sit only in an HttpOnly cookie.
  for (const cookie of await context.cookies()) cookieJars.push({ mode, name: cookie.name, value: cookie.value, httpOnly: cookie.httpOnly });
  texts.push(...(await page.evaluate(() => (window as unknown as Leak).leak.finish())));
  for (const text of texts) record(`page code (${mode})`, text);
  const storage = await page.evaluate(async () => ({
    localStorage: JSON.stringify({ ...localStorage }),
    sessionStorage: JSON.stringify({ ...sessionStorage }),
    documentCookie: document.cookie,
    indexedDB: JSON.stringify(await indexedDB.databases()),
    cacheStorage: JSON.stringify(await caches.keys()),
    windowName: window.name,
    location: location.href,
    history: String(history.length),
    resourceTiming: JSON.stringify(performance.getEntriesByType('resource').map((entry) => entry.name)),
  }));
  for (const [where, text] of Object.entries(storage)) record(`${where} (${mode})`, text);
  await context.close();
}

describe('leak check (Chromium): the sentinel token goes only to the allowed origin, in Authorization or an HttpOnly cookie', () => {
  it('runs the page flows in bearer mode', async () => {
    await runPage('bearer');
  }, 30_000);

  it('runs the page flows in cookie mode', async () => {
    await runPage('cookie');
  }, 30_000);

  it('the flows carried tokens: Authorization headers in bearer mode, the HttpOnly access cookie in cookie mode', () => {
    expect(allowed.requests.filter((r) => r.headers.authorization?.startsWith(`Bearer ${SENTINEL}`)).length).toBeGreaterThanOrEqual(4);
    expect(allowed.requests.filter((r) => r.url.startsWith('/api/') && r.headers.cookie?.includes(`tw_access=${SENTINEL}`)).length).toBeGreaterThanOrEqual(4);
    expect(allowed.requests.filter((r) => r.url === '/auth/refresh').length).toBeGreaterThanOrEqual(8);
  });

  it('the foreign origin never saw it: not in a URL, a header, a cookie or a body, not after a redirect, not through a relative URL the parser turns into another host', () => {
    expect(foreign.requests.filter((r) => r.url === '/landing')).toHaveLength(2);
    // The tricky relative URLs reached the foreign host (as fetch resolves them), in both modes, without the token.
    expect(foreign.requests.filter((r) => r.method !== 'OPTIONS' && r.url.startsWith('/tricky?')).map((r) => r.url).sort()).toEqual(['/tricky?backslash', '/tricky?backslash', '/tricky?lead', '/tricky?lead', '/tricky?lf', '/tricky?lf', '/tricky?tab', '/tricky?tab', '/tricky?tab-backslash', '/tricky?tab-backslash']);
    expect(foreign.requests.length).toBeGreaterThanOrEqual(8);
    expect(foreign.requests.filter((r) => JSON.stringify(r).includes(SENTINEL))).toEqual([]);
  });

  it('the allowed origin saw it only in Authorization, tw_refresh on /auth and tw_access on /api', () => {
    const leaks = leaksIn(allowed.requests, (name, text, r) => {
      if (name === 'authorization') return /^Bearer SENTINEL-[\w-]+$/.test(text);
      const scoped = text.split(/;\s*/).filter((pair) => pair.includes(SENTINEL));
      return name === 'cookie' && scoped.every((pair) => (pair.startsWith('tw_refresh=') && r.url.startsWith('/auth/')) || (pair.startsWith('tw_access=') && r.url.startsWith('/api/')));
    });
    expect(leaks).toEqual([]);
  });

  it('no request URL Chromium made holds it', () => {
    expect(requestUrls.length).toBeGreaterThan(20);
    expect(requestUrls.filter((url) => url.includes(SENTINEL))).toEqual([]);
  });

  it('only HttpOnly cookies hold it; document.cookie, storage, IndexedDB, caches, URL and resource timing do not', () => {
    const withSentinel = cookieJars.filter((c) => c.value.includes(SENTINEL));
    expect(withSentinel.length).toBeGreaterThan(0);
    expect(withSentinel.filter((c) => !c.httpOnly)).toEqual([]);
    for (const where of ['localStorage', 'sessionStorage', 'documentCookie', 'indexedDB', 'cacheStorage', 'windowName', 'location', 'resourceTiming']) {
      for (const mode of ['bearer', 'cookie']) expect(places.get(`${where} (${mode})`)?.join(' ') ?? '', `${where} (${mode})`).not.toContain(SENTINEL);
    }
  });

  it('no console output, page error, error message/stack/JSON or event payload the page saw holds it', () => {
    expect([...places.keys()].some((place) => place.startsWith('console.error'))).toBe(true);
    expect((places.get('page code (bearer)') ?? []).some((text) => text.startsWith('event session-expired'))).toBe(true);
    const leaks = [...places].flatMap(([place, texts]) =>
      texts.filter((text) => text.includes(SENTINEL)).map((text) => `${place}: …${text.slice(Math.max(0, text.indexOf(SENTINEL) - 80), text.indexOf(SENTINEL) + 40)}…`),
    );
    expect(leaks).toEqual([]);
  });
});

describe('what a script running in the page (XSS) can and cannot do', () => {
  type Leak = { leak: { login(): Promise<void>; api(path?: string): Promise<number> } };
  async function openSignedIn(mode: Mode) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${allowed.url}/?mode=${mode}`);
    await page.evaluate(() => (window as unknown as Leak).leak.login());
    return { context, page };
  }

  it('in bearer mode it can read the short-lived access token (by wrapping fetch), never the refresh token', async () => {
    const { context, page } = await openSignedIn('bearer');
    const seen = await page.evaluate(async () => {
      const captured: string[] = [];
      const original = window.fetch;
      window.fetch = async (input, init) => {
        captured.push(new Headers(init?.headers).get('authorization') ?? '');
        const response = await original(input, init);
        captured.push(JSON.stringify([...response.headers]));
        return response;
      };
      await (window as unknown as Leak).leak.api();
      await (window as unknown as Leak).leak.api('/api/fresh-401');
      return { captured, cookie: document.cookie };
    });
    await context.close();
    expect(seen.captured.some((text) => text.startsWith(`Bearer ${SENTINEL}-access-`))).toBe(true);
    expect(JSON.stringify(seen)).not.toContain(`${SENTINEL}-refresh-`);
    expect(seen.cookie).not.toContain(SENTINEL);
  });

  it('in cookie mode it reads no token at all, but can call the API with the session while the page is open', async () => {
    const { context, page } = await openSignedIn('cookie');
    const seen = await page.evaluate(async () => {
      const captured: string[] = [];
      const original = window.fetch;
      window.fetch = async (input, init) => {
        captured.push(JSON.stringify([...new Headers(init?.headers)]));
        const response = await original(input, init);
        captured.push(JSON.stringify([...response.headers]), await response.clone().text());
        return response;
      };
      await (window as unknown as Leak).leak.api();
      // The attacker's own request, riding the HttpOnly cookie and echoing the readable CSRF cookie.
      const csrf = /tw_csrf=([^;]+)/.exec(document.cookie)?.[1] ?? '1';
      const own = await original('/api/data', { method: 'POST', credentials: 'include', headers: { 'x-tokenward-csrf': csrf } });
      return { captured, cookie: document.cookie, ownStatus: own.status };
    });
    await context.close();
    expect(JSON.stringify(seen.captured)).not.toContain(SENTINEL);
    expect(seen.cookie).not.toContain(SENTINEL);
    expect(seen.ownStatus).toBe(200);
  });
});
