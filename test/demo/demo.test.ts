// The live demo in real Chromium: the page `npm start` serves, driven through its own buttons.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthServerStats } from '../../examples/auth-server/src/index.js';
import { buildSpa } from '../../examples/spa/build.mjs';
import { startDemoServer, type DemoServer } from '../../examples/spa/src/demo-server.js';

/** Long enough that a refresh (about every 2 s) and the page's 1 s stats poll can be told apart. */
const ACCESS_TTL_SECONDS = 4;
const SCREENSHOT = join('test-results', 'demo', 'demo.png');

let browser: Browser;
let demo: DemoServer;
let context: BrowserContext;
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'tokenward-demo-'));
  // The packages' sources, like every other test under vitest: no package build needed.
  await buildSpa({ outDir, packages: 'src' });
  [demo, browser] = await Promise.all([
    startDemoServer({ port: 0, accessTtlSeconds: ACCESS_TTL_SECONDS, staticDir: outDir }),
    chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
    }),
  ]);
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(10_000);
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const status = (page: Page) => page.locator('#status').getAttribute('data-status');
const number = async (page: Page, selector: string) => Number(await page.locator(selector).textContent());

/** What a tab shows: how many tokens it received, fetched itself or got from a peer, and its API calls. */
async function tab(page: Page) {
  return {
    status: await status(page),
    received: await number(page, '[data-count="received"]'),
    local: await number(page, '[data-count="local"]'),
    peer: await number(page, '[data-count="peer"]'),
    apiFailed: await number(page, '[data-count="api-failed"]'),
  };
}

/** The server counters as the page displays them. */
async function displayed(page: Page): Promise<Partial<AuthServerStats>> {
  const cells = await page.locator('[data-stat]').evaluateAll((els) => els.map((el) => [(el as HTMLElement).dataset.stat, el.textContent]));
  return Object.fromEntries(cells.map(([name, value]) => [name, Number(value)]));
}

/**
 * Both tabs and the server, read when no refresh is in flight: both tabs active and nothing
 * changed across two reads 150 ms apart.
 */
async function quiet(pages: Page[]) {
  const read = async () => ({ tabs: await Promise.all(pages.map(tab)), server: demo.auth.stats().refreshRequests });
  for (;;) {
    const first = await read();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const second = await read();
    if (second.tabs.every((t) => t.status === 'active') && JSON.stringify(first) === JSON.stringify(second)) return second;
  }
}

/**
 * Waits for at least `atLeast` refresh cycles: each tab receives each new token once, and each cost
 * one request, fetched by one tab; refreshed ahead of expiry, so no API call failed meanwhile.
 */
async function refreshCycles(pages: Page[], atLeast: number) {
  const before = await quiet(pages);
  await expect.poll(async () => Math.min(...(await Promise.all(pages.map(tab))).map((t, i) => t.received - before.tabs[i]!.received)), { timeout: 4 * ACCESS_TTL_SECONDS * 1000 }).toBeGreaterThanOrEqual(atLeast);
  const after = await quiet(pages);
  const cycles = after.tabs[0]!.received - before.tabs[0]!.received;
  const fetched = after.tabs.reduce((sum, t) => sum + t.local, 0) - before.tabs.reduce((sum, t) => sum + t.local, 0);
  expect(cycles).toBeGreaterThanOrEqual(atLeast);
  expect(after.tabs[1]!.received - before.tabs[1]!.received).toBe(cycles);
  expect(fetched).toBe(cycles);
  expect(after.server - before.server).toBe(cycles);
  expect(after.tabs.map((t) => t.apiFailed)).toEqual(before.tabs.map((t) => t.apiFailed));
  return { before, after, cycles };
}

describe('the live demo page', () => {
  it('two tabs share one refresh per cycle, show the server its own counters, and sign out together', async () => {
    const first = await context.newPage();
    await first.goto(demo.url);
    // No refresh cookie yet: the refresh on page load is refused and the tab is signed out.
    await expect.poll(() => status(first), { timeout: 10_000 }).toBe('anonymous');
    await first.locator('#sign-in-button').click();
    await expect.poll(() => status(first), { timeout: 10_000 }).toBe('active');

    const [second] = await Promise.all([context.waitForEvent('page'), first.locator('#open-tab').click()]);
    await expect.poll(() => status(second), { timeout: 10_000 }).toBe('active');
    const pages = [first, second];

    const { before, after, cycles } = await refreshCycles(pages, 2);
    console.log(`demo: ${cycles} refresh cycles, ${after.server - before.server} refresh requests, tokens fetched per tab ${after.tabs.map((t, i) => t.local - before.tabs[i]!.local).join('/')}`);

    // What the page shows is what the server counts (the page polls once a second).
    for (const page of pages) {
      await expect.poll(async () => (await displayed(page)).refreshRequests, { timeout: 5_000, interval: 50 }).toBe(demo.auth.stats().refreshRequests);
    }
    const shown = await displayed(first);
    expect(shown).toMatchObject({ reuseDetections: 0, graceReuses: 0, apiUnauthorized: 0, logins: 1 });
    expect(shown.apiCalls).toBeGreaterThan(0);
    expect(shown.apiCalls).toBeLessThanOrEqual(demo.auth.stats().apiCalls);
    expect(demo.auth.stats()).toMatchObject({ reuseDetections: 0, graceReuses: 0, apiUnauthorized: 0 });
    await expect.poll(() => second.locator('#api-code').textContent(), { timeout: 5_000 }).toBe('200');
    // Each cycle shows in the logs once as "this tab" (the one that fetched it) and once as "another tab".
    for (const origin of ['local', 'peer']) {
      const entries = await Promise.all(pages.map((page) => page.locator(`#events li[data-event="refreshed"][data-origin="${origin}"]`).count()));
      expect(entries[0]! + entries[1]!).toBeGreaterThanOrEqual(cycles);
    }

    // The page never renders a token.
    for (const page of pages) expect(await page.content()).not.toMatch(/eyJ[\w-]{4,}\./);

    await mkdir(join('test-results', 'demo'), { recursive: true });
    await second.screenshot({ path: SCREENSHOT });
    const png = await readFile(SCREENSHOT);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280);
    expect(png.byteLength).toBeGreaterThan(20_000);

    // Sign out in one tab: both are signed out, the other learns it from its peer.
    await second.locator('#sign-out').click();
    await expect.poll(() => Promise.all(pages.map(status)), { timeout: 5_000 }).toEqual(['anonymous', 'anonymous']);
    expect(await first.locator('#events li[data-event="signed-out"][data-origin="peer"]').count()).toBe(1);
    expect(await second.locator('#events li[data-event="signed-out"][data-origin="local"]').count()).toBe(1);
    expect(await first.locator('#sign-in').isVisible()).toBe(true);
    expect(demo.auth.stats().logouts).toBe(1);
  }, 60_000);

  it('revoke on server: the next refresh is refused and every tab expires', async () => {
    const [first, second] = context.pages() as [Page, Page];
    await first.locator('#sign-in-button').click();
    await expect.poll(() => Promise.all([first, second].map(status)), { timeout: 10_000 }).toEqual(['active', 'active']);
    await first.locator('#revoke').click();
    await expect.poll(() => Promise.all([first, second].map(status)), { timeout: 3 * ACCESS_TTL_SECONDS * 1000 }).toEqual(['expired', 'expired']);
    for (const page of [first, second]) await expect.poll(() => page.locator('#status-text').textContent(), { timeout: 5_000 }).toContain('invalid_grant');
    expect(demo.auth.stats().reuseDetections).toBe(0);
  }, 30_000);

  it('signs in through the local OpenID provider: its login and consent, then two tabs share each refresh, and sign-out revokes at the provider', async () => {
    const oidc = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    oidc.setDefaultTimeout(10_000);
    // The provider's development pages import a web font: there is no network here.
    await oidc.route(/^https:\/\//, (route) => route.abort());
    const first = await oidc.newPage();
    await first.goto(demo.url);
    await expect.poll(() => status(first), { timeout: 10_000 }).toBe('anonymous');
    const logins = demo.auth.stats().logins;
    await first.locator('#oidc-sign-in').click();
    await first.waitForURL(`${demo.provider.issuer}/**`);
    await first.fill('input[name=login]', 'demo');
    await first.fill('input[name=password]', 'demo');
    await first.click('button[type=submit]');
    await first.locator('button[autofocus]').click(); // consent
    await first.waitForURL(`${demo.url}/`);
    await expect.poll(() => status(first), { timeout: 10_000 }).toBe('active');
    expect([demo.provider.counts.token, demo.auth.stats().logins - logins]).toEqual([1, 1]); // the code exchange, one sign-in
    await expect.poll(() => first.locator('#api-body').textContent(), { timeout: 5_000 }).toContain('demo');

    const [second] = await Promise.all([oidc.waitForEvent('page'), first.locator('#open-tab').click()]);
    await expect.poll(() => status(second), { timeout: 10_000 }).toBe('active');
    const pages = [first, second];
    // Refreshes through /auth/refresh as after a password sign-in: one request per cycle for both tabs.
    await refreshCycles(pages, 1);
    // A reload boots signed in again, from the cookies (the provider is not asked).
    await first.reload();
    await expect.poll(() => status(first), { timeout: 10_000 }).toBe('active');
    expect(demo.provider.counts.token).toBe(1);

    // Sign-out in one tab: both tabs signed out, and the provider's refresh token revoked there.
    await second.locator('#sign-out').click();
    await expect.poll(() => Promise.all(pages.map(status)), { timeout: 5_000 }).toEqual(['anonymous', 'anonymous']);
    // The page is signed out before its sign-out request is answered: the revocation follows.
    await expect.poll(() => demo.provider.counts.revocation, { timeout: 5_000 }).toBe(1);
    expect(await first.locator('#oidc-sign-in').isVisible()).toBe(true);
    expect(demo.auth.stats().reuseDetections).toBe(0);
    await oidc.close();
  }, 60_000);

  it('fits a 360 px wide phone screen: nothing wider than the viewport, counters two by two', async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await phone.newPage();
    await page.goto(demo.url);
    await expect.poll(() => status(page), { timeout: 5_000 }).not.toBeNull();
    const layout = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      overflowing: [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5).map((el) => el.outerHTML.slice(0, 80)),
      counterRows: new Set([...document.querySelectorAll('.big-numbers > *')].map((el) => Math.round(el.getBoundingClientRect().top))).size,
    }));
    await phone.close();
    expect(layout).toEqual({ scrollWidth: 360, overflowing: [], counterRows: 2 });
  }, 30_000);
});
