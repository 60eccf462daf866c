import { describe, expect, it } from 'vitest';
import { body, manualClock, start } from './helpers/client.js';

describe('refresh-token rotation', () => {
  it('sets a new refresh cookie on every refresh and answers like login', async () => {
    const { client } = await start();
    const browser = client();
    expect((await browser.login()).status).toBe(200);
    const first = browser.refreshToken;
    const seen = new Set([first]);
    for (let i = 0; i < 3; i++) {
      const response = await browser.refresh();
      expect(response.status).toBe(200);
      expect(await body(response)).toMatchObject({ token_type: 'Bearer', expires_in: 30 });
      seen.add(browser.refreshToken);
    }
    expect(seen.size).toBe(4);
    expect(first).toMatch(/^[\w-]{43}$/); // 32 random bytes, base64url
  });

  it('no longer treats the old token as current once it has been rotated', async () => {
    const clock = manualClock();
    const { client, server } = await start({ clock: clock.now });
    const browser = client();
    await browser.login();
    const old = browser.refreshToken!;
    await browser.refresh();
    clock.advance(10_000);
    browser.jar.set('tw_refresh', old, '/auth');
    const response = await browser.refresh();
    expect(response.status).toBe(401);
    expect(await body(response)).toEqual({ error: 'invalid_grant' });
    expect(server.stats().reuseDetections).toBe(1);
  });

  it('answers a reuse inside the grace window with the current child, without rotating again', async () => {
    const clock = manualClock();
    const { client, server } = await start({ clock: clock.now, graceMs: 5000 });
    const browser = client();
    await browser.login();
    const parent = browser.refreshToken!;
    await browser.refresh();
    const child = browser.refreshToken!;

    clock.advance(4000);
    const lagging = client(); // the tab that missed the cross-tab message
    lagging.jar.set('tw_refresh', parent, '/auth');
    const response = await lagging.refresh({ csrf: 'tab-token' });
    expect(response.status).toBe(200);
    expect(await body(response)).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    expect(lagging.refreshToken).toBe(child);

    // The child is still the current token: it rotates normally.
    expect((await browser.refresh()).status).toBe(200);
    expect(browser.refreshToken).not.toBe(child);
    expect(server.stats()).toMatchObject({ graceReuses: 1, reuseDetections: 0, refreshSuccesses: 3 });
  });

  it('rotates a token once when two refreshes present it at the same time', async () => {
    const { client, server } = await start();
    const a = client();
    await a.login();
    const b = client();
    b.jar.set('tw_refresh', a.refreshToken!, '/auth');
    const [ra, rb] = await Promise.all([a.refresh(), b.refresh({ csrf: 'b' })]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(a.refreshToken).toBe(b.refreshToken);
    expect(server.stats()).toMatchObject({ graceReuses: 1, refreshSuccesses: 2 });
  });

  it('revokes the whole family on a reuse outside the grace window', async () => {
    const clock = manualClock();
    const { client, server } = await start({ clock: clock.now, graceMs: 5000 });
    const browser = client();
    await browser.login();
    const stolen = browser.refreshToken!;
    await browser.refresh();
    clock.advance(5000);

    const attacker = client();
    attacker.jar.set('tw_refresh', stolen, '/auth');
    const reuse = await attacker.refresh({ csrf: 'forged' });
    expect(reuse.status).toBe(401);
    expect(await body(reuse)).toEqual({ error: 'invalid_grant' });
    expect(attacker.refreshToken).toBeUndefined(); // the 401 cleared the cookie

    // The legitimate holder of the current child is signed out as well.
    const victim = await browser.refresh();
    expect(victim.status).toBe(401);
    expect(server.stats()).toMatchObject({ reuseDetections: 1, graceReuses: 0, refreshFailures: 2 });
  });

  it('with graceMs 0, revokes the family on any reuse, even immediate', async () => {
    const { client, server } = await start({ graceMs: 0 });
    const browser = client();
    await browser.login();
    const parent = browser.refreshToken!;
    await browser.refresh();
    const replay = client();
    replay.jar.set('tw_refresh', parent, '/auth');
    expect((await replay.refresh()).status).toBe(401);
    expect((await browser.refresh()).status).toBe(401);
    expect(server.stats().reuseDetections).toBe(1);
  });

  it('answers 401 invalid_grant for a missing, unknown or expired refresh cookie', async () => {
    const clock = manualClock();
    const { client } = await start({ clock: clock.now, refreshTtlSeconds: 60 });
    const browser = client();
    const missing = await browser.refresh();
    expect(missing.status).toBe(401);
    expect(await body(missing)).toEqual({ error: 'invalid_grant' });

    browser.jar.set('tw_refresh', 'not-a-token', '/auth');
    expect((await browser.refresh()).status).toBe(401);

    await browser.login();
    clock.advance(60_000);
    const expired = await browser.refresh();
    expect(expired.status).toBe(401);
    expect(expired.headers.getSetCookie().join()).toMatch(/tw_refresh=; Max-Age=0; Path=\/auth/);
  });
});

describe('revocation', () => {
  it('revokeUser() makes the next refresh of every session of that user 401 invalid_grant', async () => {
    const { client, server } = await start();
    const [laptop, phone, other] = [client(), client(), client()];
    await laptop.login('demo');
    await phone.login('demo');
    await other.login('admin');
    server.revokeUser('demo');
    for (const revoked of [laptop, phone]) {
      const response = await revoked.refresh();
      expect(response.status).toBe(401);
      expect(await body(response)).toEqual({ error: 'invalid_grant' });
    }
    expect((await other.refresh()).status).toBe(200);
  });

  it('POST /auth/revoke revokes a user like revokeUser()', async () => {
    const { client } = await start();
    const browser = client();
    await browser.login('demo');
    const revoke = await browser.request('/auth/revoke', { json: { username: 'demo' } });
    expect(revoke.status).toBe(204);
    expect((await browser.refresh()).status).toBe(401);
  });

  it('logout revokes the family and clears the refresh, access and CSRF cookies', async () => {
    const { client, server } = await start();
    const browser = client();
    await browser.login('demo', 'cookie');
    const token = browser.refreshToken!;
    const logout = await browser.request('/auth/logout', { method: 'POST' });
    expect(logout.status).toBe(204);
    const cleared = logout.headers.getSetCookie();
    expect(cleared).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tw_refresh=; Max-Age=0; Path=\/auth;/),
        expect.stringMatching(/^tw_access=; Max-Age=0; Path=\/api;/),
        expect.stringMatching(/^tw_csrf=; Max-Age=0; Path=\/;/),
      ]),
    );
    expect(browser.jar.header(`${browser.url}/auth/refresh`)).toBe('');

    const replay = client();
    replay.jar.set('tw_refresh', token, '/auth');
    expect((await replay.refresh()).status).toBe(401);
    expect(server.stats()).toMatchObject({ logouts: 1, reuseDetections: 0 });
  });
});
