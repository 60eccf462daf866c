import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Clock } from '@tokenward/core';
import { systemClock } from '@tokenward/core/internal';
import { createFakeAuth, eventually, FAST, freshChannel, openTab, sleep, type Tab } from './helpers/fake-auth.js';

let tabs: Tab[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(tabs.map((tab) => tab.close()));
  tabs = [];
});

function open(count: number, channel: string, refresh: Parameters<typeof openTab>[1]): Tab[] {
  const opened = Array.from({ length: count }, () => openTab(channel, refresh));
  tabs.push(...opened);
  return opened;
}

/** A clock whose timers never fire: the tab is frozen (its page does not run). */
const frozen: Clock = { ...systemClock, setTimeout: () => 0, clearTimeout: () => {} };

describe('createTabCoordinator', () => {
  it('boots six tabs opened at once with one refresh, then makes one refresh per expiry for all of them', async () => {
    const auth = createFakeAuth({ ttl: 1 });
    const opened = open(6, freshChannel(), auth.refresh);
    const tokens = await Promise.all(opened.map((tab) => tab.session.getAccessToken()));
    expect(auth.stats.requests).toBe(1);
    expect(new Set(tokens)).toEqual(new Set(['access-2']));

    // Refresh at 600-800 ms of each 1 s token, each tab with its own jitter: three cycles.
    await eventually(() => expect(auth.stats.successes).toBe(4), 4000);
    await eventually(() => expect(opened.map((tab) => tab.count('refreshed'))).toEqual(opened.map(() => 4)));
    expect(auth.stats).toMatchObject({ requests: 4, failures: 0, reuse: 0 });
    expect(new Set(await Promise.all(opened.map((tab) => tab.session.getAccessToken())))).toEqual(new Set(['access-5']));
    // Each refresh ran in one tab; the others adopted it.
    expect(opened.reduce((sum, tab) => sum + tab.count('refreshed', 'local'), 0)).toBe(4);
  });

  it('gives a new tab the live token of its peers, with no refresh', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const channel = freshChannel();
    const [first] = open(1, channel, auth.refresh);
    const token = await first!.session.getAccessToken();
    const [late] = open(1, channel, auth.refresh);
    expect(await late!.session.getAccessToken()).toBe(token);
    expect(auth.stats.requests).toBe(1);
    expect(late!.events).toEqual([{ name: 'refreshed', payload: expect.objectContaining({ origin: 'peer', reason: 'boot' }) }]);
  });

  it('refreshes a new tab itself when no peer answers within the hello window', async () => {
    const auth = createFakeAuth();
    const [alone] = open(1, freshChannel(), auth.refresh);
    const started = Date.now();
    await alone!.session.getAccessToken();
    expect(Date.now() - started).toBeGreaterThanOrEqual(FAST.helloMs - 5);
    expect(auth.stats.requests).toBe(1);
  });

  it('moves past a frozen holder after the lock wait: the waiter refreshes under the next lock round', async () => {
    const auth = createFakeAuth({ ttl: 60, delay: (call) => (call === 1 ? 60_000 : 15) });
    const channel = freshChannel();
    // Its timers never fire and its refresh never settles: a tab frozen mid-refresh, lock held.
    const holder = openTab(channel, auth.refresh, frozen);
    const [other] = open(1, channel, auth.refresh);
    tabs.push(holder);
    await holder.session.signIn({ accessToken: 'signed-in', expiresIn: 60 });
    await eventually(() => expect(other!.session.getSnapshot().status).toBe('active'));
    await sleep(FAST.helloMs);
    void holder.session.refresh().catch(() => {});
    await eventually(() => expect(auth.stats.requests).toBe(1));
    const asked = Date.now();
    // Its own refresh times out waiting; it keeps its valid token, backs off, and its retry, past the
    // lock wait, runs under the next round's lock.
    await expect(other!.session.refresh()).rejects.toMatchObject({ code: 'ERR_REFRESH_FAILED' });
    expect(other!.session.getSnapshot().status).toBe('backoff');
    expect(await other!.session.getAccessToken()).toBe('signed-in');
    await eventually(() => expect(other!.count('refreshed', 'local')).toBe(1), 5000);
    expect(Date.now() - asked).toBeGreaterThanOrEqual(FAST.lockWaitMs - 5);
    expect(await other!.session.getAccessToken()).toBe('access-2');
    expect(auth.stats.requests).toBe(2);
  });

  it('releases the lock at once when the holder is closed mid-refresh', async () => {
    const auth = createFakeAuth({ ttl: 60, delay: (call) => (call === 2 ? 60_000 : 15) });
    const [holder, other] = open(2, freshChannel(), auth.refresh);
    await Promise.all([holder!.session.getAccessToken(), other!.session.getAccessToken()]);
    void holder!.session.refresh().catch(() => {});
    await eventually(() => expect(auth.stats.requests).toBe(2));
    const joined = other!.session.refresh();
    await sleep(20);
    const closedAt = Date.now();
    await holder!.close();
    expect(await joined).toBe('access-3');
    expect(Date.now() - closedAt).toBeLessThan(200);
    expect(auth.stats).toMatchObject({ requests: 3, reuse: 0 });
  });

  it('holds the lock no longer than the refresh timeout when the refresher ignores its abort signal', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const channel = freshChannel();
    let hung = 0;
    const [good] = open(1, channel, auth.refresh);
    const [stuck] = open(1, channel, async (ctx) => (ctx.reason === 'manual' ? (hung++, new Promise<never>(() => {})) : auth.refresh(ctx)));
    await Promise.all([good!.session.getAccessToken(), stuck!.session.getAccessToken()]);
    const failed = stuck!.session.refresh().catch((error: { code?: string }) => error.code);
    await eventually(() => expect(hung).toBe(1));
    const asked = Date.now();
    // The peer's own attempt may time out just before the lock comes free; its retry gets it.
    void good!.session.refresh().catch(() => {});
    await eventually(() => expect(auth.stats.successes).toBe(2), 3000);
    // Freed at the stuck tab's timeout, plus at most one backoff (1 s) of the peer.
    expect(Date.now() - asked).toBeLessThan(FAST.refreshTimeoutMs + 1_300);
    expect(await failed).toBe('ERR_REFRESH_FAILED');
    // The peer's timed-out attempt, if it reached the server, was aborted there: no reuse either way.
    expect(auth.stats.reuse).toBe(0);
  });

  it('after a refresh hangs until its timeout, exactly one tab refreshes: the waiters granted the lock late let it go', async () => {
    // The server rotates, then its answer takes 40 ms back: a tab that gives up meanwhile loses the token.
    const auth = createFakeAuth({ ttl: 60, delay: (call) => (call === 2 ? 60_000 : 15), transit: 40 });
    const opened = open(3, freshChannel(), auth.refresh);
    await Promise.all(opened.map((tab) => tab.session.getAccessToken()));
    const [holder, ...waiters] = opened;
    void holder!.session.refresh().catch(() => {});
    await eventually(() => expect(auth.stats.requests).toBe(2));
    // Both wait out the hung holder: granted the lock at its timeout, each has only ms of its own
    // left. Neither sends a request its timeout would abort after the rotation.
    const waited = await Promise.all(waiters.map((tab) => tab.session.refresh().catch((error: { code?: string }) => error.code)));
    expect(waited).toEqual(['ERR_REFRESH_FAILED', 'ERR_REFRESH_FAILED']);
    expect(auth.stats.requests).toBe(2);
    // The first retry, with a whole timeout, refreshes for all three: one rotation for the one expiry.
    await eventually(() => expect(opened.map((tab) => tab.session.getSnapshot().status)).toEqual(['active', 'active', 'active']), 3000);
    expect(await Promise.all(opened.map((tab) => tab.session.getAccessToken()))).toEqual(['access-3', 'access-3', 'access-3']);
    await sleep(FAST.lockWaitMs);
    expect(auth.stats).toMatchObject({ requests: 3, successes: 2, reuse: 0 });
  });

  it('a waiter granted the lock after a peer refreshed uses that token and calls no server', async () => {
    const auth = createFakeAuth({ ttl: 60, delay: 80 });
    const [a, b, c] = open(3, freshChannel(), auth.refresh);
    await Promise.all([a, b, c].map((tab) => tab!.session.getAccessToken()));
    const results = await Promise.all([a!.session.refresh(), sleep(10).then(() => b!.session.refresh()), sleep(20).then(() => c!.session.refresh())]);
    expect(results).toEqual(['access-3', 'access-3', 'access-3']);
    expect(auth.stats).toMatchObject({ requests: 2, reuse: 0 });
  });

  it('delivers a sign-out to every tab once, with origin peer, and ignores stale messages afterwards', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const channel = freshChannel();
    const [a, b, c] = open(3, channel, auth.refresh);
    await Promise.all([a, b, c].map((tab) => tab!.session.getAccessToken()));
    a!.session.signOut();
    await eventually(() => expect([a, b, c].map((tab) => tab!.count('signed-out'))).toEqual([1, 1, 1]));
    expect([a!.count('signed-out', 'local'), b!.count('signed-out', 'peer'), c!.count('signed-out', 'peer')]).toEqual([1, 1, 1]);

    // A result from before the sign-out (generation 0) arrives late: nothing changes.
    const stale = new BroadcastChannel(channel);
    const token = { accessToken: 'stale', tokenType: 'Bearer', expiresAt: Date.now() + 60_000, obtainedAt: Date.now() };
    stale.postMessage({ v: 1, type: 'tokens', from: 'ghost', gen: 0, at: Date.now(), token, signedIn: false });
    stale.postMessage({ v: 1, type: 'tokens', from: 'ghost', gen: 1, at: Date.now(), token: { ...token, refreshToken: 'x' }, signedIn: false });
    stale.postMessage({ v: 2, type: 'signed-out', from: 'ghost', gen: 9, at: Date.now() });
    await sleep(50);
    stale.close();
    for (const tab of [a, b, c]) {
      expect(tab!.session.getSnapshot().status).toBe('anonymous');
      expect(tab!.events.map((e) => e.name)).toEqual(['refreshed', 'signed-out']);
    }
  });

  it('delivers a sign-in to every tab once, with origin peer, after a sign-out', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const [a, b, c] = open(3, freshChannel(), auth.refresh);
    await Promise.all([a, b, c].map((tab) => tab!.session.getAccessToken()));
    b!.session.signOut();
    await eventually(() => expect([a, b, c].map((tab) => tab!.session.getSnapshot().status)).toEqual(['anonymous', 'anonymous', 'anonymous']));
    c!.session.signIn({ accessToken: 'signed-in', expiresIn: 60 });
    await eventually(() => expect([a, b, c].map((tab) => tab!.count('signed-in'))).toEqual([1, 1, 1]));
    expect([a!.count('signed-in', 'peer'), b!.count('signed-in', 'peer'), c!.count('signed-in', 'local')]).toEqual([1, 1, 1]);
    expect(await Promise.all([a, b, c].map((tab) => tab!.session.getAccessToken()))).toEqual(['signed-in', 'signed-in', 'signed-in']);
    expect(auth.stats.requests).toBe(1);
  });

  it('delivers the sign-in of a tab opened after many sign-ins and sign-outs to the older tabs', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const channel = freshChannel();
    const [a, b] = open(2, channel, auth.refresh);
    await Promise.all([a!.session.getAccessToken(), b!.session.getAccessToken()]);
    for (let round = 0; round < 3; round++) {
      a!.session.signIn({ accessToken: `round-${round}`, expiresIn: 60 });
      await eventually(() => expect(b!.count('signed-in', 'peer')).toBe(round + 1));
      b!.session.signOut();
      await eventually(() => expect([a, b].map((tab) => tab!.session.getSnapshot().status)).toEqual(['anonymous', 'anonymous']));
    }
    // Opened while every tab is signed out: it has heard none of the history above.
    const [late] = open(1, channel, auth.refresh);
    await sleep(FAST.helloMs + 10);
    late!.session.signIn({ accessToken: 'late-sign-in', expiresIn: 60 });
    await eventually(() => expect([a, b].map((tab) => tab!.session.getSnapshot().status)).toEqual(['active', 'active']));
    expect(await Promise.all([a, b].map((tab) => tab!.session.getAccessToken()))).toEqual(['late-sign-in', 'late-sign-in']);
    late!.session.signOut();
    await eventually(() => expect([a, b].map((tab) => tab!.session.getSnapshot().status)).toEqual(['anonymous', 'anonymous']));
  });

  it('hears a sign-in after a spoofed sign-out of a high generation reached only the other tab', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const channel = freshChannel();
    const [a, b] = open(2, channel, auth.refresh);
    await Promise.all([a!.session.getAccessToken(), b!.session.getAccessToken()]);
    // Posted as if by A, so A itself ignores it (its own id) and only B learns its generation.
    const spoof = new BroadcastChannel(channel);
    spoof.postMessage({ v: 1, type: 'signed-out', from: a!.coordinator.tab, gen: 900, at: Date.now() });
    spoof.close();
    await sleep(20);
    a!.session.signIn({ accessToken: 'after-spoof', expiresIn: 60 });
    await eventually(() => expect(b!.session.getSnapshot().status).toBe('active'));
    expect(await b!.session.getAccessToken()).toBe('after-spoof');
  });

  it('keeps working after a peer announced the last safe generation: a peer epoch counts at most a second ahead', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const channel = freshChannel();
    const [a, b] = open(2, channel, auth.refresh);
    await Promise.all([a!.session.getAccessToken(), b!.session.getAccessToken()]);
    const stranger = new BroadcastChannel(channel);
    const now = Date.now();
    const token = { accessToken: 'peer', tokenType: 'Bearer', obtainedAt: now, expiresAt: now + 120_000 };
    stranger.postMessage({ v: 1, type: 'tokens', from: 'stranger', gen: Number.MAX_SAFE_INTEGER, at: now, token, signedIn: true });
    stranger.close();
    await eventually(() => expect(b!.session.getSnapshot().expiresAt).toBe(token.expiresAt));
    a!.session.signOut();
    await eventually(() => expect(b!.count('signed-out', 'peer')).toBe(1));
  });

  it('ends the session in every tab once when the server refuses the refresh, with no retry loop', async () => {
    const auth = createFakeAuth({ ttl: 1 });
    const opened = open(4, freshChannel(), auth.refresh);
    await Promise.all(opened.map((tab) => tab.session.getAccessToken()));
    auth.revoke();
    await eventually(() => expect(opened.map((tab) => tab.count('session-expired'))).toEqual([1, 1, 1, 1]), 3000);
    expect(opened.map((tab) => tab.count('session-expired', 'local')).sort()).toEqual([0, 0, 0, 1]);
    expect(opened.every((tab) => tab.events.some((e) => e.name === 'session-expired' && (e.payload as { reason: string }).reason === 'invalid_grant'))).toBe(true);
    await sleep(1200);
    expect(auth.stats.requests).toBe(2);
    for (const tab of opened) await expect(tab.session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
  });

  it('settles booting tabs without a session as anonymous, with one refresh and no session-expired', async () => {
    const auth = createFakeAuth();
    auth.revoke();
    const opened = open(3, freshChannel(), auth.refresh);
    await Promise.all(opened.map((tab) => expect(tab.session.getAccessToken()).rejects.toMatchObject({ code: expect.stringMatching(/ERR_(NOT_SIGNED_IN|REFRESH_FAILED|SESSION_EXPIRED)/) })));
    await eventually(() => expect(opened.map((tab) => tab.session.getSnapshot().status)).toEqual(['anonymous', 'anonymous', 'anonymous']));
    expect(auth.stats.requests).toBe(1);
    expect(opened.map((tab) => tab.count('session-expired'))).toEqual([0, 0, 0]);
  });

  it('passes a transient failure to the tabs that joined, which back off instead of storming', async () => {
    const auth = createFakeAuth({ ttl: 60, delay: 40, fail: (call) => (call === 2 ? 503 : undefined) });
    const opened = open(3, freshChannel(), auth.refresh);
    await Promise.all(opened.map((tab) => tab.session.getAccessToken()));
    const results = await Promise.allSettled([opened[0]!.session.refresh(), sleep(10).then(() => opened[1]!.session.refresh())]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(auth.stats.requests).toBe(2);
    expect(opened[1]!.session.getSnapshot().status).toBe('backoff');
  });

  it('lets listeners call the session from inside an event: no lock is held around them', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const [a, b] = open(2, freshChannel(), auth.refresh);
    await Promise.all([a!.session.getAccessToken(), b!.session.getAccessToken()]);
    const seen = new Promise<string>((resolve) => b!.session.on('refreshed', () => void b!.session.getAccessToken().then(resolve)));
    await a!.session.refresh();
    expect(await seen).toBe('access-3');
  });

  it('any JSON value posted on the channel reaches no session', async () => {
    const auth = createFakeAuth({ ttl: 60 });
    const channel = freshChannel();
    const [a] = open(1, channel, auth.refresh);
    a!.session.signIn({ accessToken: 'initial', expiresIn: 60 });
    const before = a!.session.getSnapshot();
    const hostile = new BroadcastChannel(channel);
    fc.assert(fc.property(fc.jsonValue(), (value) => void hostile.postMessage(value)), { numRuns: 200 });
    await sleep(50);
    hostile.close();
    expect(a!.session.getSnapshot()).toEqual(before);
    expect(a!.events.map((e) => e.name)).toEqual(['signed-in']);
  });
});
