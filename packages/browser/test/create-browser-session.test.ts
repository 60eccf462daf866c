// @vitest-environment happy-dom
// @vitest-environment-options { "url": "http://app.test/page" }
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBrowserSession, type BrowserSession, type BrowserSessionOptions } from '../src/create-browser-session.js';
import { browserLock as lock, eventually, sleep } from './helpers/fake-auth.js';

interface Call {
  url: string;
  method: string;
  headers: Record<string, string>;
  credentials: RequestCredentials | undefined;
}

/** A fetch answering like the reference server: refresh, logout and a protected API. */
function stubServer(options: { mode?: 'bearer' | 'cookie'; refresh?: () => Response } = {}) {
  const calls: Call[] = [];
  let serial = 0;
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    calls.push({ url, method: init.method ?? 'GET', headers: Object.fromEntries(new Headers(init.headers)), credentials: init.credentials });
    if (url.endsWith('/auth/refresh')) {
      if (options.refresh) return options.refresh();
      serial++;
      return Response.json(options.mode === 'cookie' ? { token_type: 'cookie', expires_in: 300 } : { access_token: `token-${serial}`, token_type: 'Bearer', expires_in: 300 });
    }
    if (url.endsWith('/auth/logout')) return new Response(null, { status: 204 });
    return Response.json({ ok: true });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls, refreshes: () => calls.filter((c) => c.url.endsWith('/auth/refresh')).length };
}

let sessions: BrowserSession[] = [];
function create(options: BrowserSessionOptions): BrowserSession {
  const session = createBrowserSession(options);
  sessions.push(session);
  return session;
}

afterEach(() => {
  for (const session of sessions) session.dispose();
  sessions = [];
  vi.restoreAllMocks();
  for (const pair of document.cookie.split(';')) document.cookie = `${pair.split('=')[0]!.trim()}=; Max-Age=0; Path=/`;
});

describe('createBrowserSession', () => {
  it('sends a DPoP-bound token under its own scheme, DPoP (a createDpopFetch adds the proof)', async () => {
    const server = stubServer({ refresh: () => Response.json({ access_token: 'bound-token', token_type: 'DPoP', expires_in: 300 }) });
    const session = create({ fetch: server.fetch, channel: false });
    await session.ready();
    await session.fetch('/api/me');
    expect(server.calls.at(-1)!.headers.authorization).toBe('DPoP bound-token');
  });

  it('boots with one refresh, then sends the bearer token, and the CSRF header only on state-changing requests', async () => {
    const server = stubServer();
    document.cookie = 'tw_csrf=double-submit; Path=/';
    const session = create({ fetch: server.fetch, channel: false });
    await session.ready();
    expect(session.getSnapshot().status).toBe('active');
    await session.fetch('/api/me');
    await session.fetch('/api/items', { method: 'POST', body: '{}' });
    await session.fetch('https://elsewhere.test/x');
    const [refresh, get, post, foreign] = server.calls;
    expect(refresh).toMatchObject({ url: '/auth/refresh', method: 'POST', credentials: 'include', headers: { 'x-tokenward-csrf': 'double-submit' } });
    expect(get!.headers).toEqual({ authorization: 'Bearer token-1' });
    expect(post!.headers).toEqual({ authorization: 'Bearer token-1', 'x-tokenward-csrf': 'double-submit' });
    expect(foreign!.headers).toEqual({});
  });

  it('in cookie mode sends credentials and no Authorization header, and keeps no token in memory', async () => {
    const server = stubServer({ mode: 'cookie' });
    const session = create({ fetch: server.fetch, channel: false, mode: 'cookie' });
    await session.ready();
    expect(await session.getAccessToken()).toBe('');
    await session.fetch('/api/me');
    await session.fetch('/api/items', { method: 'DELETE' });
    expect(server.calls[1]).toMatchObject({ credentials: 'include', headers: {} });
    expect(server.calls[2]).toMatchObject({ credentials: 'include', headers: { 'x-tokenward-csrf': '1' } });
  });

  it('settles ready() without rejecting when there is no session, and the session is then anonymous', async () => {
    const server = stubServer({ refresh: () => Response.json({ error: 'invalid_grant' }, { status: 401 }) });
    const expired = vi.fn();
    const session = create({ fetch: server.fetch, channel: false });
    session.on('session-expired', expired);
    await expect(session.ready()).resolves.toBeUndefined();
    expect(session.getSnapshot().status).toBe('anonymous');
    await expect(session.fetch('/api/me')).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    expect(server.calls).toHaveLength(1);
    expect(expired).not.toHaveBeenCalled();
  });

  it('signs out locally at once, then POSTs the sign-out URL with the CSRF header and credentials', async () => {
    const server = stubServer();
    const session = create({ fetch: server.fetch, channel: false, signOutUrl: '/bye' });
    await session.ready();
    const signedOut = vi.fn();
    session.on('signed-out', signedOut);
    const done = session.signOut();
    expect(session.getSnapshot().status).toBe('anonymous');
    await done;
    expect(server.calls.at(-1)).toMatchObject({ url: '/bye', method: 'POST', credentials: 'include', headers: { 'x-tokenward-csrf': '1' } });
    expect(signedOut).toHaveBeenCalledWith({ origin: 'local' });
  });

  it('rejects signOut() when the server did not confirm, after signing out locally anyway', async () => {
    const session = create({ fetch: async () => new Response('<html>', { status: 500 }), channel: false, tokens: { accessToken: 't', expiresIn: 60 } });
    await expect(session.signOut()).rejects.toMatchObject({ code: 'ERR_SIGN_OUT_FAILED', message: 'Sign-out answered HTTP 500' });
    expect(session.getSnapshot().status).toBe('anonymous');
  });

  it('coordinates sessions over the native BroadcastChannel by default: one boot refresh, sign-out everywhere', async () => {
    const server = stubServer();
    const channel = `native-${Math.random()}`;
    const [a, b, c] = [0, 1, 2].map(() => create({ fetch: server.fetch, channel, lock }));
    await Promise.all([a, b, c].map((session) => session!.ready()));
    expect(server.refreshes()).toBe(1);
    expect(new Set(await Promise.all([a, b, c].map((session) => session!.getAccessToken())))).toEqual(new Set(['token-1']));
    const origins: string[] = [];
    for (const session of [a, b, c]) session!.on('signed-out', ({ origin }) => origins.push(origin));
    await b!.signOut();
    await eventually(() => expect(origins.sort()).toEqual(['local', 'peer', 'peer']));
  });

  it('in cookie mode ignores a peer token that carries an access token (a bearer-mode tab of another app version)', async () => {
    const server = stubServer({ mode: 'cookie' });
    const channel = `mixed-${Math.random()}`;
    const cookieTab = create({ fetch: server.fetch, channel, mode: 'cookie' });
    await cookieTab.ready();
    const bearerTab = create({ fetch: server.fetch, channel, mode: 'bearer' });
    const signedIn = new Promise((resolve) => cookieTab.on('signed-in', resolve));
    bearerTab.signIn({ accessToken: 'bearer-token', expiresIn: 600 });
    const heard = await Promise.race([signedIn.then(() => 'adopted'), sleep(300).then(() => 'ignored')]);
    expect(heard).toBe('ignored');
    expect((await cookieTab.getTokenSet()).accessToken).toBeUndefined();
    await cookieTab.fetch('/api/me');
    expect(server.calls.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('still makes one refresh over the native channel when the event loop stalls right after the hello window', async () => {
    const server = stubServer();
    const channel = `stall-${Math.random()}`;
    const opened = [0, 1, 2].map(() => create({ fetch: server.fetch, channel, lock }));
    // Right when the hello window ends (150 ms) and the lock is asked for, block the event loop:
    // the lock grant and the holder's result then queue behind it; still one refresh.
    setTimeout(() => {
      const end = Date.now() + 300;
      while (Date.now() < end);
    }, 150);
    await Promise.all(opened.map((session) => session.ready()));
    expect(server.refreshes()).toBe(1);
  });

  it('removes every listener and closes its channel on dispose', async () => {
    const added: string[] = [];
    const removed: string[] = [];
    for (const target of [window, document]) {
      const add = target.addEventListener.bind(target);
      const remove = target.removeEventListener.bind(target);
      vi.spyOn(target, 'addEventListener').mockImplementation((type, fn, options) => (added.push(type), add(type, fn, options)));
      vi.spyOn(target, 'removeEventListener').mockImplementation((type, fn, options) => (removed.push(type), remove(type, fn, options)));
    }
    const server = stubServer();
    const channel = `dispose-${Math.random()}`;
    const session = createBrowserSession({ fetch: server.fetch, channel });
    await session.ready();
    expect(added.sort()).toEqual(['focus', 'offline', 'online', 'pageshow', 'visibilitychange']);
    session.dispose();
    expect(removed.sort()).toEqual(added);
    // A peer's sign-out no longer reaches it: its channel is closed.
    const peer = create({ fetch: server.fetch, channel, tokens: { accessToken: 'x', expiresIn: 60 } });
    await sleep(20);
    peer.signOut().catch(() => {});
    await sleep(50);
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
  });

  it('re-checks the clock when the page becomes visible, and refreshes when the token is due', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: ['Date'] });
    const server = stubServer();
    const session = create({ fetch: server.fetch, channel: false });
    await session.ready();
    // The laptop slept past expiry: no timer fired, the wall clock jumped.
    vi.setSystemTime(Date.now() + 600_000);
    document.dispatchEvent(new Event('visibilitychange'));
    await eventually(() => expect(server.refreshes()).toBe(2));
    vi.useRealTimers();
  });

  it('does not refresh proactively while offline, and refreshes once when back online', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1), toFake: ['Date'] });
    const server = stubServer();
    const session = create({ fetch: server.fetch, channel: false });
    await session.ready();
    window.dispatchEvent(new Event('offline'));
    vi.setSystemTime(Date.now() + 600_000);
    document.dispatchEvent(new Event('visibilitychange'));
    await sleep(20);
    expect(server.refreshes()).toBe(1);
    window.dispatchEvent(new Event('online'));
    await eventually(() => expect(server.refreshes()).toBe(2));
    vi.useRealTimers();
  });
});

describe('the session hint', () => {
  it('starts signed out with no request when the hint cookie is absent: every call is ERR_NOT_SIGNED_IN, no 401', async () => {
    const server = stubServer();
    const session = create({ fetch: server.fetch, sessionHint: true, channel: false });
    await session.ready();
    expect(session.getSnapshot().status).toBe('anonymous');
    for (let i = 0; i < 2; i++) await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    await expect(session.fetch('/api/me')).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    expect(server.calls).toEqual([]);
  });

  it('boots with one refresh when the hint cookie is there (the default name, or one of your own)', async () => {
    // (`__Host-tw_session`, the name on https, cannot be set on this http test page.)
    for (const [name, sessionHint] of [['tw_session', true], ['my_hint', 'my_hint']] as const) {
      document.cookie = `${name}=1; Path=/`;
      const server = stubServer();
      const session = create({ fetch: server.fetch, sessionHint, channel: false });
      expect(await session.getAccessToken()).toBe('token-1');
      expect(server.refreshes()).toBe(1);
      document.cookie = `${name}=; Max-Age=0; Path=/`;
    }
  });

  it('without the option boots with one refresh as before, and a refused boot is ERR_NOT_SIGNED_IN on every call', async () => {
    const server = stubServer({ refresh: () => Response.json({ error: 'invalid_grant' }, { status: 401 }) });
    const session = create({ fetch: server.fetch, channel: false });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push(await session.getAccessToken().catch((e: { code: string }) => e.code));
    expect(codes).toEqual(['ERR_NOT_SIGNED_IN', 'ERR_NOT_SIGNED_IN', 'ERR_NOT_SIGNED_IN']);
    expect(server.refreshes()).toBe(1);
  });
});
