import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { eventually, evidence, holdNextRefresh, refreshEach, sleep } from './helpers/harness.js';
import { useChromium } from './helpers/use-chromium.js';
import type { PageEvent } from './helpers/page-app.js';

const { start, finish } = useChromium();

const events = (page: Page) => page.evaluate(() => window.app.events) as Promise<PageEvent[]>;
const count = (page: Page, name: PageEvent['name'], origin?: 'local' | 'peer') => page.evaluate(([n, o]) => window.app.count(n, o), [name, origin] as const);
const api = (page: Page, path?: string) => page.evaluate((p) => window.app.api(p), path);
const clearEvents = (pages: Page[]) => Promise.all(pages.map((page) => page.evaluate(() => void (window.app.events.length = 0))));

describe('@tokenward/browser in Chromium, several tabs, strict refresh-token rotation', () => {
  it('1. eight tabs through ten expiry cycles: one refresh per cycle, no reuse, no sign-out, every API call succeeds', async () => {
    const s = await start({ accessTtlSeconds: 3 });
    await s.login('bearer');
    const tabs = await s.open(8, 'bearer');
    await s.resetStats();
    await clearEvents(tabs);
    await Promise.all(tabs.map((page) => page.evaluate(() => window.app.startCalls(250))));

    // Stop right after the tenth refresh reached every tab: the eleventh is a second away.
    await eventually(async () => expect(Math.min(...(await Promise.all(tabs.map((page) => count(page, 'refreshed')))))).toBeGreaterThanOrEqual(10), 40_000, 100);
    await Promise.all(tabs.map((page) => page.evaluate(() => (window.app.stopCalls(), window.app.session.dispose()))));

    const stats = await s.stats();
    expect(stats).toMatchObject({ refreshRequests: 10, refreshSuccesses: 10, refreshFailures: 0, reuseDetections: 0, graceReuses: 0, logouts: 0, apiUnauthorized: 0 });
    const perTab = await Promise.all(tabs.map(events));
    const cycles = perTab.map((list) => list.filter((e) => e.name === 'refreshed').map((e) => e.expiresAt));
    for (const list of cycles) expect(list).toEqual(cycles[0]);
    expect(new Set(cycles[0]).size).toBe(10);
    expect(perTab.flat().filter((e) => e.name === 'refreshed' && e.origin === 'local')).toHaveLength(10);
    expect(perTab.flat().filter((e) => e.name !== 'refreshed')).toEqual([]);
    const calls = await Promise.all(tabs.map((page) => page.evaluate(() => window.app.calls)));
    for (const { ok, failed } of calls) {
      expect(failed).toEqual([]);
      expect(ok).toBeGreaterThan(20);
    }
    // Read again: calls in flight at the first read have landed since, on both sides.
    expect((await s.stats()).apiCalls).toBeGreaterThanOrEqual(calls.reduce((sum, c) => sum + c.ok, 0));
    console.log(`scenario 1: ${JSON.stringify(stats)}`);
  }, 60_000);

  it('2. ten tabs opened at once on a valid refresh cookie: one refresh, every tab ready with the same token', async () => {
    const s = await start({ accessTtlSeconds: 30 });
    await s.login('bearer');
    await s.resetStats();
    const tabs = await s.open(10, 'bearer');
    const stats = await s.stats();
    expect(stats.refreshRequests).toBeLessThanOrEqual(1);
    expect(stats).toMatchObject({ refreshRequests: 1, refreshSuccesses: 1, reuseDetections: 0 });
    const snapshots = await Promise.all(tabs.map((page) => page.evaluate(async () => ({ status: window.app.session.getSnapshot().status, token: await window.app.session.getAccessToken() }))));
    expect(snapshots.map((snap) => snap.status)).toEqual(tabs.map(() => 'active'));
    expect(new Set(snapshots.map((snap) => snap.token)).size).toBe(1);
    expect(await Promise.all(tabs.map((page) => api(page)))).toEqual(tabs.map(() => 200));
    expect((await s.stats()).refreshRequests).toBe(1);
    console.log(`scenario 2: ${JSON.stringify(await s.stats())}`);
  }, 60_000);

  it('3. the tab holding the refresh is closed while the server delays it: the others have a valid token within 5 s, no reuse', async () => {
    // The reference server's refreshDelayMs rotates first; this hold does not (see holdNextRefresh).
    const hold = holdNextRefresh(8000);
    const s = await start({ accessTtlSeconds: 30, faults: hold.faults });
    await s.login('bearer');
    const [holder, ...others] = await s.open(4, 'bearer');
    await s.resetStats();
    hold.arm();
    void holder!.evaluate(() => void window.app.session.refresh().catch(() => {}));
    await eventually(async () => expect((await s.stats()).refreshRequests).toBe(1));
    const joined = await refreshEach(others);
    await sleep(300);
    const closedAt = Date.now();
    await holder!.close();
    const done = await joined.settled(8000);
    for (const at of done) expect(at - closedAt).toBeLessThan(5000);
    expect(await Promise.all(others.map((page) => api(page)))).toEqual([200, 200, 200]);
    const stats = await eventually(async () => {
      const current = await s.stats();
      expect(current.refreshSuccesses + current.refreshFailures).toBe(current.refreshRequests);
      return current;
    }, 10_000);
    expect(stats).toMatchObject({ refreshRequests: 2, refreshSuccesses: 1, refreshFailures: 1, reuseDetections: 0, apiUnauthorized: 0 });
    console.log(`scenario 3: took over in ${Math.max(...done) - closedAt} ms; ${JSON.stringify(stats)}`);
  }, 60_000);

  it('4. sign-out in one tab: every tab reports signed-out within 1 s, and no later API call sends a token (cookie mode)', async () => {
    const s = await start({
      accessTtlSeconds: 30,
      extraRoutes: [
        {
          method: 'GET',
          path: '/api/peek',
          handler: (request) =>
            Response.json({ authorization: request.headers.has('authorization'), accessCookie: /(^|;\s*)tw_access=[^;]/.test(request.headers.get('cookie') ?? '') }),
        },
      ],
    });
    await s.login('cookie');
    const tabs = await s.open(4, 'cookie');
    expect(await Promise.all(tabs.map((page) => api(page)))).toEqual([200, 200, 200, 200]);
    await s.resetStats();
    const signedOutAt = await tabs[2]!.evaluate(async () => {
      const at = Date.now();
      await window.app.session.signOut();
      return at;
    });
    await eventually(async () => expect(await Promise.all(tabs.map((page) => count(page, 'signed-out')))).toEqual([1, 1, 1, 1]), 2000, 20);
    const all = await Promise.all(tabs.map(events));
    all.forEach((list, i) => {
      const [event] = list.filter((e) => e.name === 'signed-out');
      expect(event!.origin).toBe(i === 2 ? 'local' : 'peer');
      expect(event!.at - signedOutAt).toBeLessThan(1000);
    });
    expect(await Promise.all(tabs.map((page) => api(page)))).toEqual(tabs.map(() => 'ERR_NOT_SIGNED_IN'));
    const peeks = await Promise.all(tabs.map((page) => page.evaluate(() => fetch('/api/peek', { credentials: 'include' }).then((r) => r.json()))));
    expect(peeks).toEqual(tabs.map(() => ({ authorization: false, accessCookie: false })));
    expect(await s.stats()).toMatchObject({ logouts: 1, apiCalls: 0, refreshRequests: 0 });
    await sleep(500);
    expect(await Promise.all(tabs.map((page) => count(page, 'signed-out')))).toEqual([1, 1, 1, 1]);
    console.log(`scenario 4: signed out everywhere within ${Math.max(...all.map((list) => list.find((e) => e.name === 'signed-out')!.at)) - signedOutAt} ms`);
  }, 60_000);

  it('5. the server revokes the session: one 401, every tab emits session-expired exactly once, no retry loop', async () => {
    const s = await start({ accessTtlSeconds: 3 });
    await s.login('bearer');
    const tabs = await s.open(4, 'bearer');
    await s.resetStats();
    await clearEvents(tabs);
    s.server.revokeUser('demo');
    await eventually(async () => expect(await Promise.all(tabs.map((page) => count(page, 'session-expired')))).toEqual([1, 1, 1, 1]), 8000, 50);
    const origins = (await Promise.all(tabs.map(events))).flat().filter((e) => e.name === 'session-expired').map((e) => e.origin);
    expect(origins.sort()).toEqual(['local', 'peer', 'peer', 'peer']);
    await sleep(3500);
    expect(await Promise.all(tabs.map((page) => count(page, 'session-expired')))).toEqual([1, 1, 1, 1]);
    expect(await Promise.all(tabs.map((page) => api(page)))).toEqual(tabs.map(() => 'ERR_SESSION_EXPIRED'));
    const stats = await s.stats();
    expect(stats).toMatchObject({ refreshRequests: 1, refreshFailures: 1, refreshSuccesses: 0, apiCalls: 0 });
    console.log(`scenario 5: ${JSON.stringify(stats)}`);
  }, 60_000);

  it('6. a tab asleep past expiry: on becoming visible it refreshes before its next API call, which succeeds', async () => {
    const s = await start({ accessTtlSeconds: 20 });
    await s.login('bearer');
    const page = await s.context.newPage();
    await page.clock.install();
    s.pages.push(page);
    await page.goto(`${s.url}/?mode=bearer`);
    await page.evaluate(() => window.app.session.ready());
    expect(await api(page)).toBe(200);
    await s.resetStats();
    await clearEvents([page]);
    // The laptop slept 25 s: the wall clock jumped, no timer fired (the refresh timer is ~10 s away).
    await page.clock.setSystemTime(Date.now() + 25_000);
    expect(await page.evaluate(() => window.app.session.getSnapshot().status)).toBe('active');
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await eventually(async () => expect((await s.stats()).refreshRequests).toBe(1), 2000, 20);
    await eventually(async () => expect(await count(page, 'refreshed', 'local')).toBe(1), 2000, 20);
    expect(await s.stats()).toMatchObject({ apiCalls: 0, refreshRequests: 1 });
    expect(await api(page)).toBe(200);
    expect(await s.stats()).toMatchObject({ apiCalls: 1, apiUnauthorized: 0, refreshRequests: 1, refreshSuccesses: 1 });
  }, 60_000);

  it('7. offline then online: no refresh request while offline, exactly one after', async () => {
    const s = await start({ accessTtlSeconds: 3 });
    await s.login('bearer');
    const tabs = await s.open(2, 'bearer');
    let attempted = 0;
    s.context.on('request', (request) => void (new URL(request.url()).pathname === '/auth/refresh' && attempted++));
    await s.resetStats();
    await s.context.setOffline(true);
    await eventually(async () => expect(await Promise.all(tabs.map((page) => page.evaluate(() => navigator.onLine)))).toEqual([false, false]));
    // Past the refresh time and past expiry.
    await sleep(3500);
    expect(attempted).toBe(0);
    expect((await s.stats()).refreshRequests).toBe(0);
    await s.context.setOffline(false);
    await eventually(async () => expect((await s.stats()).refreshRequests).toBe(1), 3000, 20);
    await sleep(1000);
    expect(attempted).toBe(1);
    expect(await s.stats()).toMatchObject({ refreshRequests: 1, refreshSuccesses: 1, reuseDetections: 0 });
    expect(await Promise.all(tabs.map((page) => api(page)))).toEqual([200, 200]);
    expect((await s.stats()).refreshRequests).toBe(1);
  }, 60_000);

  it('8. afterwards no storage, readable cookie or request URL holds a token, and nothing listened to unload', async () => {
    const s = await start({ accessTtlSeconds: 30 });
    const [bearer] = await s.open(1, 'bearer');
    await bearer!.evaluate(() => window.app.login());
    const cookiePage = await s.context.newPage();
    s.pages.push(cookiePage);
    await cookiePage.goto(`${s.url}/?mode=cookie`);
    await cookiePage.evaluate(() => window.app.login());
    expect(await api(bearer!)).toBe(200);
    expect(await api(cookiePage)).toBe(200);
    await finish();
    await sleep(200);

    expect(evidence.secrets.size).toBeGreaterThan(20);
    expect(evidence.pages.length).toBeGreaterThan(20);
    for (const report of evidence.pages) {
      expect(report).toMatchObject({ localStorage: 0, sessionStorage: 0, databases: [] });
      expect(report.cookie).not.toMatch(/tw_refresh|tw_access|eyJ/);
      for (const secret of evidence.secrets) expect(report.cookie).not.toContain(secret);
      expect(report.listeners).not.toContain('unload');
      expect(report.listeners).not.toContain('beforeunload');
    }
    expect(evidence.urls.length).toBeGreaterThan(100);
    for (const url of evidence.urls) {
      expect(url).not.toMatch(/access_token|refresh_token|[?&]token=|eyJ/i);
      for (const secret of evidence.secrets) expect(url).not.toContain(secret);
    }
    console.log(`scenario 8: ${evidence.pages.length} pages, ${evidence.urls.length} request URLs, ${evidence.secrets.size} tokens checked`);
  }, 60_000);
});
