import { afterEach, describe, expect, it } from 'vitest';
import { classifyError, isTokenwardError, type RefreshContext } from '@tokenward/core';
import { createRefreshTransport } from '../src/create-refresh-transport.js';
import { reply, sleep, startServer, type TestServer } from './helpers/http-server.js';

let server: TestServer;
afterEach(() => server?.close());

const context = (signal = new AbortController().signal): RefreshContext => ({ reason: 'scheduled', signal, current: undefined, attempt: 1 });

/** What the transport threw, for assertions. */
async function failure(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(isTokenwardError(error)).toBe(true);
  return error as Record<string, unknown>;
}

describe('createRefreshTransport', () => {
  it('POSTs the refresh URL with credentials, the CSRF headers and no body, and reads a bearer response', async () => {
    server = await startServer((_, res) => reply(res, 200, { access_token: 'a.b.c', token_type: 'Bearer', expires_in: 300 }));
    const refresh = createRefreshTransport({ url: `${server.url}/auth/refresh`, headers: () => ({ 'x-tokenward-csrf': 'csrf-value' }) });
    expect(await refresh(context())).toMatchObject({ accessToken: 'a.b.c', tokenType: 'Bearer', expiresIn: 300 });
    const [request] = server.requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('/auth/refresh');
    expect(request!.headers['x-tokenward-csrf']).toBe('csrf-value');
    expect(request!.headers['content-length'] ?? '0').toBe('0');
  });

  it('reads only expires_in in cookie mode and never keeps an access token the body carries', async () => {
    server = await startServer((_, res) => reply(res, 200, { token_type: 'cookie', expires_in: '60', access_token: 'leaked' }));
    const response = await createRefreshTransport({ url: server.url, mode: 'cookie' })(context());
    expect(response).toMatchObject({ expiresIn: 60, tokenType: 'cookie' });
    expect(response.accessToken).toBeUndefined();
  });

  it('maps 401 invalid_grant to a terminal RefreshFailedError with status and OAuth error', async () => {
    server = await startServer((_, res) => reply(res, 401, { error: 'invalid_grant' }));
    const error = await failure(createRefreshTransport({ url: server.url })(context()));
    expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', status: 401, oauthError: 'invalid_grant', message: 'Refresh answered HTTP 401' });
    expect(classifyError(error)).toBe('terminal');
  });

  it('honours Retry-After in seconds and as an HTTP date measured against the server Date', async () => {
    server = await startServer((req, res) =>
      req.url === '/seconds'
        ? reply(res, 429, { error: 'slow_down' }, { 'retry-after': '7' })
        : reply(res, 503, {}, { date: 'Wed, 21 Oct 2015 07:28:00 GMT', 'retry-after': 'Wed, 21 Oct 2015 07:28:30 GMT' }),
    );
    const seconds = await failure(createRefreshTransport({ url: `${server.url}/seconds` })(context()));
    expect(seconds).toMatchObject({ status: 429, retryAfterMs: 7000 });
    expect(classifyError(seconds)).toBe('transient');
    const date = await failure(createRefreshTransport({ url: `${server.url}/date` })(context()));
    expect(date).toMatchObject({ status: 503, retryAfterMs: 30_000 });
  });

  it('turns an HTML error page into a transient failure whose message holds none of the body', async () => {
    server = await startServer((_, res) => reply(res, 502, '<html>secret-page-text</html>'));
    const error = await failure(createRefreshTransport({ url: server.url })(context()));
    expect(error.message).toBe('Refresh answered HTTP 502');
    expect(classifyError(error)).toBe('transient');
  });

  it.each([
    ['HTML with 200', '<html>session secret</html>', 'Refresh answered HTTP 200 without a JSON object'],
    ['malformed JSON', '{"access_token": "secret', 'Refresh answered HTTP 200 without a JSON object'],
    ['a JSON array', '[1,2]', 'Refresh answered HTTP 200 without a JSON object'],
    ['no expires_in', { access_token: 'secret' }, 'Refresh response has no usable expires_in'],
    ['a negative expires_in', { access_token: 'secret', expires_in: -5 }, 'Refresh response has no usable expires_in'],
    ['a boolean expires_in', { access_token: 'secret', expires_in: true }, 'Refresh response has no usable expires_in'],
    ['no access_token in bearer mode', { expires_in: 60 }, 'Refresh response has no usable access_token'],
    ['an access_token with a newline', { access_token: 'sec\nret', expires_in: 60 }, 'Token response has a malformed token'],
    ['a token_type with spaces', { access_token: 'secret', token_type: 'Bearer x', expires_in: 60 }, 'Token response has a malformed token type'],
    ['an expires_in past the lifetime bound', { access_token: 'secret', expires_in: 1e12 }, 'Token response has no usable expiry'],
  ])('rejects a 200 with %s as a transient failure without echoing the body', async (_, body, message) => {
    server = await startServer((_req, res) => reply(res, 200, body));
    const error = await failure(createRefreshTransport({ url: server.url })(context()));
    expect(error.message).toBe(message);
    expect(JSON.stringify(error) + String(error.message)).not.toContain('secret');
    expect(classifyError(error)).toBe('transient');
  });

  it('reports a network failure as transient', async () => {
    server = await startServer(() => {});
    const url = server.url;
    await server.close();
    const error = await failure(createRefreshTransport({ url })(context()));
    expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'transient', message: 'Refresh request failed' });
  });

  it('stops at once when the session aborts, with the abort reason', async () => {
    server = await startServer((_, res) => void sleep(2000).then(() => reply(res, 200, { access_token: 'late', expires_in: 60 })));
    const controller = new AbortController();
    const pending = createRefreshTransport({ url: server.url })(context(controller.signal));
    await sleep(50);
    const reason = new Error('timed out');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  it('uses the fetch it is given', async () => {
    const calls: RequestInit[] = [];
    const refresh = createRefreshTransport({
      fetch: async (_input, init) => (calls.push(init!), Response.json({ access_token: 't', expires_in: 1 })),
    });
    expect(await refresh(context())).toMatchObject({ accessToken: 't', expiresIn: 1 });
    expect(calls[0]).toMatchObject({ method: 'POST', credentials: 'include', cache: 'no-store' });
  });
});
