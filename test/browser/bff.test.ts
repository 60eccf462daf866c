import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidcSetup } from '../../packages/server/test/helpers/oidc-setup.js';
import { buildTestPage } from './helpers/build-page.js';
import { launchChromium } from './helpers/chromium.js';
import { eventually, sleep } from './helpers/harness.js';
import type { PageEvent } from './helpers/page-app.js';

let browser: Browser;
let staticDir: string;
beforeAll(async () => {
  [staticDir, browser] = await Promise.all([buildTestPage(), launchChromium()]);
});
afterAll(() => browser?.close());

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

/** The test page (index.html, the SDK bundle, app.js) and a 200 for any other path. */
function serveStatic(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url!, 'http://x').pathname;
  const file = path === '/' ? 'index.html' : path.slice(1);
  if (!/^[\w-]+\.(html|js)$/.test(file)) return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  res.writeHead(200, { 'content-type': TYPES[file.slice(file.lastIndexOf('.'))]! }).end(readFileSync(join(staticDir, file)));
}

const count = (page: Page, name: PageEvent['name']) => page.evaluate((n) => window.app.count(n), name);

describe('the backend-for-frontend in Chromium against a real OpenID provider', () => {
  it('login, consent, callback; three tabs signed in through one refresh; the provider refusal ends the session in every tab once', async () => {
    let offset = 0;
    const setup = await oidcSetup({ serve: serveStatic, clock: () => Date.now() + offset, providerAccessTtl: 600, accessTtlSeconds: 30, graceMs: 0 });
    const context = await browser.newContext();
    // The provider's dev pages import a web font: no network here.
    await context.route(/^https:\/\//, (route) => route.abort());
    const login = await context.newPage();
    await login.goto(`${setup.app}/auth/login?returnTo=${encodeURIComponent('/signed-in')}`);
    expect(new URL(login.url()).origin).toBe(setup.issuer);
    await login.fill('input[name=login]', 'alice');
    await login.fill('input[name=password]', 'any');
    await login.click('button[type=submit]');
    await login.waitForURL(/\/interaction\//);
    await login.click('button[autofocus]'); // consent
    await login.waitForURL(`${setup.app}/signed-in`);
    const cookies = await context.cookies(); // every path: tw_refresh lives on /auth
    expect(cookies.map((cookie) => [cookie.name, cookie.httpOnly, cookie.sameSite]).filter(([name]) => String(name).startsWith('tw_')).sort()).toEqual([
      ['tw_csrf', false, 'Strict'],
      ['tw_refresh', true, 'Strict'],
      ['tw_session', false, 'Strict'],
    ]);
    await login.close();

    const refreshes = () => setup.events.filter((event) => event.type === 'refresh').length;
    const tabs = await Promise.all([0, 1, 2].map(async () => {
      const page = await context.newPage();
      await page.goto(`${setup.app}/?mode=bearer`);
      return page;
    }));
    await Promise.all(tabs.map((page) => page.evaluate(() => window.app.session.ready())));
    const tokens = await Promise.all(tabs.map((page) => page.evaluate(() => window.app.session.getAccessToken())));
    expect(new Set(tokens).size).toBe(1);
    expect(refreshes()).toBe(1);
    expect(setup.counts.token).toBe(1); // the code exchange only

    // The provider ends the session; the next refresh, its access token near expiry, meets the refusal.
    await (await setup.provider.RefreshToken.find(setup.refreshTokens[0]!))!.destroy();
    offset = 560_000;
    await Promise.all(tabs.map((page) => page.evaluate(() => void window.app.session.refresh().catch(() => undefined))));
    await eventually(async () => expect(await Promise.all(tabs.map((page) => count(page, 'session-expired')))).toEqual([1, 1, 1]), 10_000);
    expect(setup.counts.token).toBe(2);
    expect(setup.events.filter((event) => event.type === 'invalid_grant')).toEqual([{ type: 'invalid_grant', reason: 'upstream' }]);
    // Once: a moment later still one each, and no more provider requests.
    await sleep(500);
    expect(await Promise.all(tabs.map((page) => count(page, 'session-expired')))).toEqual([1, 1, 1]);
    expect(setup.counts.token).toBe(2);
    expect((await context.cookies()).some((cookie) => cookie.name === 'tw_refresh')).toBe(false);
    await context.close();
  }, 60_000);
});
