import { Readable } from 'node:stream';
import { RefreshFailedError, createSession, type Session } from '@tokenward/core';
import { Agent, fetch, getGlobalDispatcher, interceptors, request, setGlobalDispatcher } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { useWorld } from '../../core/test/helpers/auth-world.js';
import { startServer } from '../../core/test/helpers/http-server.js';
import { createAuthInterceptor } from '../src/create-auth-interceptor.js';
import { createClientCredentials } from '../src/create-client-credentials.js';

const w = useWorld();
afterAll(() => Promise.all(agents.map((agent) => agent.close())));
const agents: Agent[] = [];

function authAgent(session: Session, ...more: Array<ReturnType<typeof interceptors.redirect>>) {
  const agent = new Agent();
  agents.push(agent);
  return agent.compose(createAuthInterceptor(session, { origins: [w.api.url] }), ...more);
}

describe('createAuthInterceptor (undici) over real HTTP', () => {
  it('makes exactly 1 refresh call and fails 0 of 100 concurrent undici.request calls when the server answers 401 with jittered latency', async () => {
    const session = w.staleSession();
    const dispatcher = authAgent(session);
    w.world.state.jitterMs = 30;
    const statuses = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const { statusCode, body } = await request(`${w.api.url}/item/${i}`, { dispatcher });
        await body.dump();
        return statusCode;
      }),
    );
    w.world.state.jitterMs = 0;
    expect(statuses.filter((status) => status !== 200)).toHaveLength(0);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('gives undici.fetch the token and retries a GET after a 401', async () => {
    const session = w.staleSession();
    const response = await fetch(`${w.api.url}/fetched`, { dispatcher: authAgent(session) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, body: '' });
    expect(w.seenAt('/fetched').map((s) => s.authorization)).toEqual(['Bearer tok-stale', `Bearer tok-${w.world.state.issued}`]);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('retries a late 401 for an already replaced token without a second refresh', async () => {
    const session = w.staleSession();
    const dispatcher = authAgent(session);
    expect((await request(`${w.api.url}/a`, { dispatcher })).statusCode).toBe(200);
    session.invalidate('tok-stale');
    expect((await request(`${w.api.url}/b`, { dispatcher })).statusCode).toBe(200);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('gives a second 401 back to the caller, body included: one retry, no loop', async () => {
    const session = createSession({ refresh: async () => ({ accessToken: 'never-accepted', expiresIn: 300 }), tokens: { accessToken: 'x', expiresIn: 300 } });
    const { statusCode, body } = await request(`${w.api.url}/always-401`, { dispatcher: authAgent(session) });
    expect(statusCode).toBe(401);
    expect(await body.json()).toEqual({ ok: false, body: '' });
    expect(w.seenAt('/always-401')).toHaveLength(2);
    session.dispose();
  });

  it.each([
    ['a string', 'plain text', 'plain text'],
    ['a Buffer', Buffer.from('bytes'), 'bytes'],
  ])('replays %s as a POST body intact after a 401', async (name, payload, expected) => {
    const session = w.staleSession();
    const path = `/orders/${encodeURIComponent(name)}`;
    const { statusCode, body } = await request(`${w.api.url}${path}`, { dispatcher: authAgent(session), method: 'POST', body: payload });
    expect(statusCode).toBe(200);
    expect(await body.json()).toEqual({ ok: true, body: expected });
    expect(w.seenAt(path).map((s) => s.body)).toEqual([expected, expected]);
    session.dispose();
  });

  it('sends a stream body once and hands the 401 back, while the session still refreshes', async () => {
    const session = w.staleSession();
    const dispatcher = authAgent(session);
    const { statusCode, body } = await request(`${w.api.url}/upload`, { dispatcher, method: 'POST', body: Readable.from(['streamed']) });
    await body.dump();
    expect(statusCode).toBe(401);
    const fetched = await fetch(`${w.api.url}/upload-fetch`, { dispatcher, method: 'POST', body: 'fetch bodies are streams' });
    expect(fetched.status).toBe(200);
    expect(w.seenAt('/upload')).toHaveLength(1);
    expect(w.world.state.refreshCalls).toBe(1);
    session.dispose();
  });

  it('never sends the token to another origin, directly or through redirects (redirect interceptor composed after it)', async () => {
    const session = w.staleSession();
    await session.refresh();
    w.foreignSeen.length = 0;
    const dispatcher = authAgent(session, interceptors.redirect({ maxRedirections: 2 }));
    await (await request(`${w.foreign.url}/direct`, { dispatcher })).body.dump();
    await (await request(`${w.api.url}/redirect`, { dispatcher })).body.dump();
    await (await fetch(`${w.api.url}/redirect`, { dispatcher })).arrayBuffer();
    expect(w.foreignSeen).toEqual([
      { path: '/direct', authorization: undefined },
      { path: '/landing', authorization: undefined },
      { path: '/landing', authorization: undefined },
    ]);
    expect(w.seenAt('/redirect').map((s) => s.authorization)).toEqual([`Bearer ${await session.getAccessToken()}`, `Bearer ${await session.getAccessToken()}`]);
    session.dispose();
  });

  it("keeps a caller-set Authorization header, in every form undici takes headers", async () => {
    const session = w.staleSession();
    const dispatcher = authAgent(session);
    const send = async (path: string, headers: Parameters<typeof request>[1] extends infer O ? O extends { headers?: infer H } ? H : never : never) =>
      (await request(`${w.api.url}${path}`, { dispatcher, headers })).body.dump();
    await send('/own-object', { Authorization: 'Basic abc' });
    await send('/own-array', ['authorization', 'Basic def']);
    await send('/merged', { 'x-one': '1' });
    const authorizations = ['/own-object', '/own-array', '/merged'].map((path) => w.seenAt(path).map((s) => s.authorization));
    expect(authorizations[0]).toEqual(['Basic abc', 'Basic abc']);
    expect(authorizations[1]).toEqual(['Basic def', 'Basic def']);
    expect(authorizations[2]).toEqual([`Bearer tok-${w.world.state.issued}`]);
    session.dispose();
  });

  it('rejects with the session error, sending nothing, when there is no session', async () => {
    const session = createSession({ refresh: async () => ({ accessToken: 'a', expiresIn: 60 }) });
    session.signOut();
    await expect(request(`${w.api.url}/anonymous`, { dispatcher: authAgent(session) })).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    expect(w.seenAt('/anonymous')).toHaveLength(0);
  });

  it('works as the global dispatcher, for undici.fetch and for Node\'s own fetch', async () => {
    const session = w.staleSession();
    await session.refresh();
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(authAgent(session));
    try {
      expect((await fetch(`${w.api.url}/global-undici`)).status).toBe(200);
      expect((await globalThis.fetch(`${w.api.url}/global-node`)).status).toBe(200);
    } finally {
      setGlobalDispatcher(previous);
    }
    session.dispose();
  });

  it('ends the request when the caller aborts while the retry waits for the refresh, and sends no retry', async () => {
    w.world.state.issued++;
    const session = createSession({
      tokens: { accessToken: 'tok-stale', expiresIn: 300 },
      refresh: () => new Promise((resolve) => setTimeout(resolve, 200, { accessToken: `tok-${w.world.state.issued}`, expiresIn: 300 })),
    });
    const controller = new AbortController();
    const pending = request(`${w.api.url}/aborted`, { dispatcher: authAgent(session), signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await session.getAccessToken();
    expect(w.seenAt('/aborted')).toHaveLength(1);
    session.dispose();
  });

  it('hands the held 401 over as it came when no fresh token can be had', async () => {
    const session = createSession({
      tokens: { accessToken: 'tok-refused', expiresIn: 300 },
      refresh: () => Promise.reject(new RefreshFailedError('refused', { status: 401 })),
    });
    const { statusCode, body } = await request(`${w.api.url}/refused`, { dispatcher: authAgent(session) });
    expect(statusCode).toBe(401);
    expect(await body.json()).toEqual({ ok: false, body: '' });
    expect(w.seenAt('/refused')).toHaveLength(1);
    expect(session.getSnapshot().status).toBe('expired');
  });

  it('passes a 401 larger than 64 KiB straight through, and the session refreshes for the next request', async () => {
    const big = 'x'.repeat(100 * 1024);
    const bigServer = await startServer((_request, response) => void response.writeHead(401).end(big));
    let refreshes = 0;
    const session = createSession({ tokens: { accessToken: 'a', expiresIn: 300 }, refresh: async () => ({ accessToken: `b-${++refreshes}`, expiresIn: 300 }) });
    const agent = new Agent();
    agents.push(agent);
    const { statusCode, body } = await request(`${bigServer.url}/big`, { dispatcher: agent.compose(createAuthInterceptor(session, { origins: [bigServer.url] })) });
    expect(statusCode).toBe(401);
    expect(await body.text()).toBe(big);
    expect(await session.getAccessToken()).toBe('b-1');
    expect(refreshes).toBe(1);
    await bigServer.close();
  });

  it('requires origins', () => {
    const session = createSession({ refresh: async () => ({ accessToken: 'a', expiresIn: 1 }) });
    expect(() => createAuthInterceptor(session, { origins: ['not a url'] })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => createAuthInterceptor(session, undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});

describe('createAuthInterceptor: the dispatch it makes', () => {
  /** The interceptor over a dispatch that records what it was given. */
  function recorded(session: Session) {
    const sent: Array<{ origin: unknown; headers: unknown }> = [];
    const dispatch = (opts: { origin?: unknown; headers?: unknown }) => (sent.push({ origin: opts.origin, headers: opts.headers }), true);
    const authDispatch = createAuthInterceptor(session, { origins: ['https://api.example'] })(dispatch as never) as unknown as (opts: object, handler: object) => boolean;
    return { sent, send: (origin: unknown) => authDispatch({ origin, path: '/x', method: 'GET' }, {}) };
  }

  it('hands a held token over in the same call, and waits only for a refresh', async () => {
    const held = createSession({ tokens: { accessToken: 'held', expiresIn: 3600 }, refresh: async () => ({ accessToken: 'fresh', expiresIn: 3600 }) });
    const first = recorded(held);
    first.send('https://api.example');
    expect(first.sent).toEqual([{ origin: 'https://api.example', headers: { authorization: 'Bearer held' } }]);
    const empty = createSession({ refresh: async () => ({ accessToken: 'fresh', expiresIn: 3600 }) });
    const second = recorded(empty);
    second.send('https://api.example');
    expect(second.sent).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(second.sent).toEqual([{ origin: 'https://api.example', headers: { authorization: 'Bearer fresh' } }]);
    held.dispose();
    empty.dispose();
  });

  it('gives the token to the allowed origin in any form undici takes, and never to a lookalike', () => {
    const session = createSession({ tokens: { accessToken: 'held', expiresIn: 3600 }, refresh: async () => ({ accessToken: 'fresh', expiresIn: 3600 }) });
    const { sent, send } = recorded(session);
    const allowed = ['https://api.example', new URL('https://api.example'), 'https://api.example/', 'https://user@api.example', 'https://API.example:443'];
    const refused = ['https://api.example.evil.test', 'https://api.example@evil.test', 'https://evil.test/https://api.example', 'http://api.example', 'https://api.example:8443', '//api.example', 'not a url'];
    for (const origin of [...allowed, ...refused]) send(origin);
    expect(sent.map((call) => [String(call.origin), call.headers !== undefined])).toEqual([...allowed.map((origin) => [String(origin), true]), ...refused.map((origin) => [origin, false])]);
    session.dispose();
  });
});

describe("the README's undici snippet", () => {
  it('runs as written: client credentials from a real token endpoint, undici.request and undici.fetch with the token', async () => {
    const issued: string[] = [];
    const authServer = await startServer((request, response, form) => {
      const grant = new URLSearchParams(form).get('grant_type');
      issued.push(`${grant} ${request.headers.authorization?.split(' ')[0]}`);
      w.world.state.issued++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `tok-${w.world.state.issued}`, token_type: 'Bearer', expires_in: 300 }));
    });
    const entry = { amount: 42 };
    const ledgerOrigin = w.api.url; // the README has 'https://ledger.example.com'
    const tokens = createClientCredentials({ tokenEndpoint: `${authServer.url}/token`, clientId: 'billing', clientSecret: 'secret' });
    const ledger = tokens.session({ audience: ledgerOrigin });
    // From the README (after its quick start's `ledger` session):
    const dispatcher = new Agent().compose(createAuthInterceptor(ledger, { origins: [ledgerOrigin] }));

    const { statusCode } = await request(`${ledgerOrigin}/entries`, { dispatcher, method: 'POST', body: JSON.stringify(entry) });
    const entries = await fetch(`${ledgerOrigin}/entries`, { dispatcher }).then((r) => r.json());
    // End of the README's code.
    expect(statusCode).toBe(200);
    expect(entries).toEqual({ ok: true, body: '' });
    expect(w.seenAt('/entries').map((s) => [s.authorization, s.body])).toEqual([
      [`Bearer tok-${w.world.state.issued}`, JSON.stringify(entry)],
      [`Bearer tok-${w.world.state.issued}`, ''],
    ]);
    expect(issued).toEqual(['client_credentials Basic']);
    tokens.dispose();
    await dispatcher.close();
    await authServer.close();
  });
});
