import { afterEach, describe, expect, it } from 'vitest';
import { createAuthFetch } from '../src/create-auth-fetch.js';
import { createSession } from '../src/create-session.js';
import { useWorld } from './helpers/auth-world.js';

const w = useWorld();

describe('createAuthFetch over real HTTP', () => {
  it('makes exactly 1 refresh call and fails 0 of 100 concurrent requests when the server answers 401 with jittered latency', async () => {
    const session = w.staleSession();
    const authFetch = createAuthFetch(session, { origins: [w.api.url] });
    w.world.state.jitterMs = 30;
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => authFetch(`${w.api.url}/item/${i}`)));
    w.world.state.jitterMs = 0;
    expect(responses.filter((r) => r.status !== 200)).toHaveLength(0);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('retries a late 401 for an already replaced token without a second refresh', async () => {
    const session = w.staleSession();
    const authFetch = createAuthFetch(session, { origins: [w.api.url] });
    const first = await authFetch(`${w.api.url}/a`);
    expect(first.status).toBe(200);
    // A request that went out with the stale token earlier and is refused only now.
    session.invalidate('tok-stale');
    const late = await authFetch(`${w.api.url}/b`);
    expect(late.status).toBe(200);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('never sends the token to a foreign origin, directly or through a redirect', async () => {
    const session = w.staleSession();
    const authFetch = createAuthFetch(session, { origins: [w.api.url] });
    w.foreignSeen.length = 0;
    await authFetch(`${w.foreign.url}/direct`);
    await authFetch(`${w.foreign.url.replace('127.0.0.1', 'localhost')}/other-host`);
    await authFetch(`${w.api.url}/redirect`);
    expect(w.foreignSeen.map((s) => s.authorization)).toEqual([undefined, undefined, undefined]);
    session.dispose();
  });

  it('replays a JSON POST body intact after a 401', async () => {
    const session = w.staleSession();
    const authFetch = createAuthFetch(session, { origins: [w.api.url] });
    const payload = JSON.stringify({ order: 42, items: ['a', 'b'] });
    const response = await authFetch(`${w.api.url}/orders`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
    expect(await response.json()).toEqual({ ok: true, body: payload });
    const sent = w.seenAt('/orders');
    expect(sent.map((s) => s.body)).toEqual([payload, payload]);
    session.dispose();
  });

  it('replays a Request object with a body after a 401', async () => {
    const session = w.staleSession();
    const authFetch = createAuthFetch(session, { origins: [w.api.url] });
    const response = await authFetch(new Request(`${w.api.url}/req`, { method: 'PUT', body: 'payload' }));
    expect(await response.json()).toEqual({ ok: true, body: 'payload' });
    session.dispose();
  });

  it('sends a stream body once and hands the 401 back, while the session still refreshes', async () => {
    const session = w.staleSession();
    const authFetch = createAuthFetch(session, { origins: [w.api.url] });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const response = await authFetch(`${w.api.url}/upload`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(response.status).toBe(401);
    expect(w.seenAt('/upload')).toHaveLength(1);
    await session.getAccessToken();
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('gives a second 401 back to the caller: one retry, no loop', async () => {
    const session = createSession({ refresh: async () => ({ accessToken: 'never-accepted', expiresIn: 300 }), tokens: { accessToken: 'x', expiresIn: 300 } });
    const authFetch = createAuthFetch(session, { origins: [w.api.url] });
    const before = w.world.state.seen.length;
    const response = await authFetch(`${w.api.url}/always-401`);
    expect(response.status).toBe(401);
    expect(w.world.state.seen.length - before).toBe(2);
    session.dispose();
  });

  it('keeps the caller-set Authorization header and the rest of its headers', async () => {
    const session = w.staleSession();
    const authFetch = createAuthFetch(session, { origins: [w.api.url], retryUnauthorized: false });
    await authFetch(`${w.api.url}/own`, { headers: { Authorization: 'Basic abc', 'x-one': '1' } });
    await authFetch(`${w.api.url}/merged`, { headers: new Headers({ 'x-two': '2' }) });
    const seen = w.world.state.seen.filter((s) => s.path === '/own' || s.path === '/merged');
    expect(seen.map((s) => s.authorization)).toEqual(['Basic abc', 'Bearer tok-stale']);
    session.dispose();
  });

  it('rejects with ERR_ABORTED when the caller aborts while a refresh is pending', async () => {
    const session = createSession({ refresh: () => new Promise(() => {}) });
    const authFetch = createAuthFetch(session, { origins: [w.api.url] });
    const controller = new AbortController();
    const pending = authFetch(`${w.api.url}/slow`, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    session.dispose();
  });

  it('requires origins outside a browser', () => {
    const session = createSession({ refresh: async () => ({ accessToken: 'a', expiresIn: 1 }) });
    expect(() => createAuthFetch(session)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => createAuthFetch(session, { origins: ['not a url'] })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => createAuthFetch(session, { origins: 'https://api.example.com' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG', message: "`origins` must be an array, like ['https://api.example.com']" }),
    );
  });

  it('throws a typed error and sends nothing when not signed in', async () => {
    const session = createSession({ refresh: async () => ({ accessToken: 'a', expiresIn: 60 }) });
    session.signOut();
    const authFetch = createAuthFetch(session, { origins: [w.api.url] });
    const before = w.world.state.seen.length;
    await expect(authFetch(`${w.api.url}/x`)).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    expect(w.world.state.seen.length).toBe(before);
  });

  it('calls fetch at once while the session holds a valid token, and waits only for a refresh', async () => {
    const calls: string[] = [];
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push(new Headers(init?.headers).get('authorization')!);
      return new Response('ok');
    };
    let release: (tokens: { accessToken: string; expiresIn: number }) => void = () => {};
    const session = createSession({ tokens: { accessToken: 'held', expiresIn: 600 }, refresh: () => new Promise((resolve) => (release = resolve)) });
    const authFetch = createAuthFetch(session, { origins: [w.api.url], fetch });
    const sent = authFetch(`${w.api.url}/now`);
    // No promise between the call and fetch: awaiting one costs a request about 2 % of its latency.
    expect(calls).toEqual(['Bearer held']);
    await sent;

    session.invalidate('held');
    const waiting = authFetch(`${w.api.url}/later`);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls).toEqual(['Bearer held']);
    release({ accessToken: 'fresh', expiresIn: 600 });
    await waiting;
    expect(calls).toEqual(['Bearer held', 'Bearer fresh']);
    session.dispose();
  });

  it('works with any Session implementation, through its getTokenSet promise or thenable', async () => {
    const token = { id: 1, accessToken: 'custom', tokenType: 'Bearer', expiresAt: Date.now() + 60_000, obtainedAt: Date.now() };
    const base = createSession({ refresh: async () => ({ accessToken: 'unused', expiresIn: 60 }) });
    // A promise of another library: not a native Promise, only a `then`.
    const thenable = { then: (resolve: (value: typeof token) => void) => resolve(token) } as unknown as Promise<typeof token>;
    for (const [i, getTokenSet] of [async () => token, () => thenable].entries()) {
      const authFetch = createAuthFetch({ ...base, getTokenSet }, { origins: [w.api.url] });
      const response = await authFetch(`${w.api.url}/custom-${i}`);
      expect(response.status).toBe(401);
      // The first request already carries the token (the one retry after a 401 sends it again).
      expect(w.seenAt(`/custom-${i}`).map((seen) => seen.authorization)).toEqual(['Bearer custom', 'Bearer custom']);
    }
    base.dispose();
  });
});

describe('createAuthFetch: the URL checked is the URL fetched', () => {
  const page = 'https://app.example.com/dir/page';
  afterEach(() => {
    delete (globalThis as { location?: unknown }).location;
  });

  /** A fetch that resolves what it is given as a browser's fetch would, and records where it went with what. */
  function browserLikeFetch() {
    const sent: Array<{ url: string; authorization: string | null; credentials?: string }> = [];
    const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = input instanceof Request ? input : undefined;
      const url = new URL(request ? request.url : String(input), page).href;
      sent.push({ url, authorization: new Headers(init?.headers ?? request?.headers).get('authorization'), credentials: init?.credentials });
      return new Response('{}');
    }) as typeof globalThis.fetch;
    return { fetch, sent };
  }

  function pageSession() {
    (globalThis as { location?: unknown }).location = { origin: 'https://app.example.com', href: page };
    return createSession({ refresh: async () => ({ accessToken: 'page-token', expiresIn: 300 }), tokens: { accessToken: 'page-token', expiresIn: 300 } });
  }

  it.each(['/\t/evil.com/steal', '/\n/evil.com/steal', '/\r/evil.com/steal', '\t//evil.com/steal', ' //evil.com/steal', '/\\evil.com/steal', '\\\\evil.com/steal', '/\t\\evil.com/steal'])(
    'sends %j to evil.com without the token or credentials',
    async (url) => {
      const session = pageSession();
      const { fetch, sent } = browserLikeFetch();
      const authFetch = createAuthFetch(session, { fetch, credentials: 'include' });
      await authFetch(url);
      expect(sent).toEqual([{ url: 'https://evil.com/steal', authorization: null, credentials: undefined }]);
      session.dispose();
    },
  );

  it('sends a relative path exactly where it checked it, with the token', async () => {
    const session = pageSession();
    const { fetch, sent } = browserLikeFetch();
    await createAuthFetch(session, { fetch })('/api\t/me');
    await createAuthFetch(session, { fetch })('me');
    expect(sent).toEqual([
      { url: 'https://app.example.com/api/me', authorization: 'Bearer page-token', credentials: undefined },
      { url: 'https://app.example.com/dir/me', authorization: 'Bearer page-token', credentials: undefined },
    ]);
    session.dispose();
  });

  it('checks a Request-like object by the URL fetch will use, not by its `url` property', async () => {
    const session = pageSession();
    const { fetch, sent } = browserLikeFetch();
    const spoof = { url: 'https://app.example.com/api/me', toString: () => 'https://evil.com/steal' };
    await createAuthFetch(session, { fetch })(spoof as unknown as Request);
    expect(sent).toEqual([{ url: 'https://evil.com/steal', authorization: null, credentials: undefined }]);
    session.dispose();
  });

  it('sends a URL object to the allowed origin with the token', async () => {
    const session = pageSession();
    const { fetch, sent } = browserLikeFetch();
    await createAuthFetch(session, { fetch })(new URL('https://app.example.com/api/me'));
    expect(sent).toEqual([{ url: 'https://app.example.com/api/me', authorization: 'Bearer page-token', credentials: undefined }]);
    session.dispose();
  });
});
