import { Readable } from 'node:stream';
import axios, { AxiosError } from 'axios';
import { describe, expect, it } from 'vitest';
import { attachAuth } from '../src/axios.js';
import { createSession } from '../src/create-session.js';
import { useWorld } from './helpers/auth-world.js';

const w = useWorld();

describe('attachAuth (axios) over real HTTP', () => {
  it('makes exactly 1 refresh call and fails 0 of 100 concurrent requests when the server answers 401 with jittered latency', async () => {
    const session = w.staleSession();
    const client = axios.create({ baseURL: w.api.url });
    attachAuth(client, session, { origins: [w.api.url] });
    w.world.state.jitterMs = 30;
    const outcomes = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => client.get(`/item/${i}`)));
    w.world.state.jitterMs = 0;
    expect(outcomes.filter((o) => o.status !== 'fulfilled' || o.value.status !== 200)).toHaveLength(0);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('retries a late 401 for an already replaced token without a second refresh', async () => {
    const session = w.staleSession();
    const client = axios.create();
    attachAuth(client, session, { origins: [w.api.url] });
    expect((await client.get(`${w.api.url}/a`)).status).toBe(200);
    // A request that went out with the stale token earlier and is refused only now.
    session.invalidate('tok-stale');
    expect((await client.get(`${w.api.url}/b`)).status).toBe(200);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('gives a second 401 back to the caller: one retry, no loop', async () => {
    const session = createSession({ refresh: async () => ({ accessToken: 'never-accepted', expiresIn: 300 }), tokens: { accessToken: 'x', expiresIn: 300 } });
    const client = axios.create();
    attachAuth(client, session, { origins: [w.api.url] });
    const error = await client.get(`${w.api.url}/always-401`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AxiosError);
    expect((error as AxiosError).response?.status).toBe(401);
    expect(w.seenAt('/always-401')).toHaveLength(2);
    session.dispose();
  });

  it('retries a 401 that validateStatus lets through as a response', async () => {
    const session = w.staleSession();
    const client = axios.create({ validateStatus: () => true });
    attachAuth(client, session, { origins: [w.api.url] });
    expect((await client.get(`${w.api.url}/lenient`)).status).toBe(200);
    expect(w.seenAt('/lenient')).toHaveLength(2);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it.each([
    ['a JSON object', { order: 42, items: ['a', 'b'] }, JSON.stringify({ order: 42, items: ['a', 'b'] })],
    ['a string', 'plain text', 'plain text'],
    ['URLSearchParams', new URLSearchParams({ a: '1', b: 'two words' }), 'a=1&b=two+words'],
    ['a Buffer', Buffer.from('bytes'), 'bytes'],
  ])('replays %s as a POST body intact after a 401', async (name, data, expected) => {
    const session = w.staleSession();
    const client = axios.create({ baseURL: w.api.url });
    attachAuth(client, session, { origins: [w.api.url] });
    const path = `/orders/${encodeURIComponent(name)}`;
    const response = await client.post(path, data);
    expect(response.data).toEqual({ ok: true, body: expected });
    expect(w.seenAt(path).map((s) => s.body)).toEqual([expected, expected]);
    session.dispose();
  });

  it('sends a stream body once and hands the 401 back, while the session still refreshes', async () => {
    const session = w.staleSession();
    const client = axios.create({ baseURL: w.api.url });
    attachAuth(client, session, { origins: [w.api.url] });
    const error = await client.post('/upload', Readable.from(['streamed'])).catch((e: unknown) => e);
    expect((error as AxiosError).response?.status).toBe(401);
    expect(w.seenAt('/upload')).toHaveLength(1);
    await session.getAccessToken();
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('decides on the URL axios sends: baseURL + url + params, absolute URLs, allowAbsoluteUrls, redirects', async () => {
    const session = w.staleSession();
    await session.refresh();
    const token = `Bearer ${await session.getAccessToken()}`;
    w.foreignSeen.length = 0;
    const allowedBase = axios.create({ baseURL: w.api.url });
    const foreignBase = axios.create({ baseURL: w.foreign.url });
    const pinned = axios.create({ baseURL: w.api.url, allowAbsoluteUrls: false });
    for (const client of [allowedBase, foreignBase, pinned]) attachAuth(client, session, { origins: [w.api.url] });

    await allowedBase.get('/search', { params: { q: 'a b' } });
    await allowedBase.get(`${w.foreign.url}/absolute`);
    await foreignBase.get('/on-foreign-base');
    await foreignBase.get(`${w.api.url}/absolute-to-allowed`);
    await pinned.get(`${w.foreign.url}/pinned`);
    await allowedBase.get('/redirect');

    expect(w.seenAt('/search?q=a+b').map((s) => s.authorization)).toEqual([token]);
    expect(w.seenAt('/absolute-to-allowed').map((s) => s.authorization)).toEqual([token]);
    // allowAbsoluteUrls: false joins the absolute URL onto the allowed base: it stays there, with the token.
    expect(w.seenAt(`/${w.foreign.url}/pinned`).map((s) => s.authorization)).toEqual([token]);
    expect(w.foreignSeen).toEqual([
      { path: '/absolute', authorization: undefined },
      { path: '/on-foreign-base', authorization: undefined },
      { path: '/landing', authorization: undefined },
    ]);
    session.dispose();
  });

  it('keeps a caller-set Authorization header, and detaches', async () => {
    const session = w.staleSession();
    const client = axios.create({ baseURL: w.api.url });
    const detach = attachAuth(client, session, { origins: [w.api.url], retryUnauthorized: false });
    await client.get('/own', { headers: { Authorization: 'Basic abc' }, validateStatus: () => true });
    await client.get('/ours', { validateStatus: () => true });
    detach();
    await client.get('/detached', { validateStatus: () => true });
    expect([...w.seenAt('/own'), ...w.seenAt('/ours'), ...w.seenAt('/detached')].map((s) => s.authorization)).toEqual(['Basic abc', 'Bearer tok-stale', undefined]);
    session.dispose();
  });

  it("rejects as axios does (a cancel) when the caller aborts while a refresh is pending, and sends nothing", async () => {
    const session = createSession({ refresh: () => new Promise(() => {}) });
    const client = axios.create({ baseURL: w.api.url });
    attachAuth(client, session, { origins: [w.api.url] });
    const controller = new AbortController();
    const pending = client.get('/slow', { signal: controller.signal });
    controller.abort();
    expect(axios.isCancel(await pending.catch((e: unknown) => e))).toBe(true);
    expect(w.seenAt('/slow')).toHaveLength(0);
    session.dispose();
  });

  it('in a page, sends tricky relative URLs to where the browser would, without the token', async () => {
    const page = 'https://app.example.com/dir/page';
    (globalThis as { location?: unknown }).location = { origin: 'https://app.example.com', href: page };
    try {
      const session = createSession({ refresh: async () => ({ accessToken: 'page-token', expiresIn: 300 }), tokens: { accessToken: 'page-token', expiresIn: 300 } });
      const sent: Array<[string, unknown]> = [];
      // Resolves the URL as XMLHttpRequest would, against the page.
      const client = axios.create({
        adapter: async (config) => {
          sent.push([new URL(client.getUri(config), page).href, config.headers.get('authorization')]);
          return { data: '', status: 200, statusText: 'OK', headers: {}, config };
        },
      });
      attachAuth(client, session);
      await client.get('/\t/evil.com/steal');
      await client.get('/api/me', { params: { a: 1 } });
      expect(sent).toEqual([
        ['https://evil.com/steal', undefined],
        ['https://app.example.com/api/me?a=1', 'Bearer page-token'],
      ]);
      session.dispose();
    } finally {
      delete (globalThis as { location?: unknown }).location;
    }
  });

  it('requires origins outside a browser', () => {
    const session = createSession({ refresh: async () => ({ accessToken: 'a', expiresIn: 1 }) });
    expect(() => attachAuth(axios.create(), session)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});

describe("the README's axios snippet", () => {
  it('runs as written against a real API', async () => {
    const session = w.staleSession();
    const apiOrigin = w.api.url; // the README has 'https://api.example.com'
    // From the README:
    const client = axios.create({ baseURL: apiOrigin });
    const detach = attachAuth(client, session, { origins: [apiOrigin] });

    const { data: me } = await client.get('/me');
    detach(); // requests from here on go without the token
    // End of the README's code.
    expect(me).toEqual({ ok: true, body: '' });
    expect(w.seenAt('/me').map((s) => s.authorization)).toEqual(['Bearer tok-stale', `Bearer tok-${w.world.state.issued}`]);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });
});
