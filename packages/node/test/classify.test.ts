import { RefreshFailedError } from '@tokenward/core';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { classify, retryAfter, toRefreshError } from '../src/classify.js';

const server: oauth.AuthorizationServer = { issuer: 'https://as.test', token_endpoint: 'https://as.test/token' };
const client: oauth.Client = { client_id: 'svc' };

/** What oauth4webapi throws for this response, turned into our error. */
async function failureFor(status: number, body: unknown, headers: Record<string, string> = {}): Promise<RefreshFailedError> {
  const json = typeof body !== 'string';
  const response = new Response(json ? JSON.stringify(body) : body, {
    status,
    headers: { 'content-type': json ? 'application/json' : 'text/html', ...headers },
  });
  const error = await oauth.processClientCredentialsResponse(server, client, response).then(
    () => expect.unreachable('the response should have been refused'),
    (rejection: unknown) => rejection,
  );
  return toRefreshError(error);
}

describe('toRefreshError', () => {
  it.each([
    [400, 'invalid_scope'],
    [400, 'invalid_target'],
    [400, 'unauthorized_client'],
    [401, 'invalid_client'],
    [400, 'invalid_request'],
  ])('makes HTTP %i %s terminal and says which', async (status, code) => {
    const error = await failureFor(status, { error: code, error_description: 'may echo secrets' });
    expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'terminal', status, oauthError: code });
    expect(error.message).toBe(`Token request failed: ${code}`);
  });

  it('reads the OAuth error of a WWW-Authenticate challenge (client_secret_basic refusals)', async () => {
    const error = await failureFor(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="as", error="invalid_client"' });
    expect(error).toMatchObject({ kind: 'terminal', status: 401, oauthError: 'invalid_client' });
  });

  it.each([
    [400, 'temporarily_unavailable'],
    [400, 'slow_down'],
    [429, 'slow_down'],
  ])('makes HTTP %i %s transient', async (status, code) => {
    expect(await failureFor(status, { error: code })).toMatchObject({ kind: 'transient', oauthError: code });
  });

  it('makes a 503 page transient and honours its Retry-After seconds', async () => {
    const error = await failureFor(503, '<h1>down</h1>', { 'retry-after': '7' });
    expect(error).toMatchObject({ kind: 'transient', status: 503, retryAfterMs: 7_000 });
    expect(error.oauthError).toBeUndefined();
    expect(error.message).toBe('Token request failed: HTTP 503');
  });

  it('reads a Retry-After date against the response Date, not the local clock', async () => {
    const date = new Date(Date.now() - 3_600_000);
    const error = await failureFor(429, 'slow down', {
      date: date.toUTCString(),
      'retry-after': new Date(date.getTime() + 4_000).toUTCString(),
    });
    expect(error).toMatchObject({ kind: 'transient', status: 429, retryAfterMs: 4_000 });
  });

  it('makes other 4xx answers without an OAuth error terminal', async () => {
    expect(await failureFor(404, 'not here')).toMatchObject({ kind: 'terminal', status: 404 });
  });

  it('makes network failures and timeouts transient', () => {
    const network = toRefreshError(new TypeError('fetch failed'));
    expect(network).toMatchObject({ kind: 'transient', message: 'Token request failed: fetch failed' });
    expect(network.status).toBeUndefined();
    expect(toRefreshError(new DOMException('timed out', 'TimeoutError'))).toMatchObject({ kind: 'transient' });
    expect(toRefreshError(new DOMException('aborted', 'AbortError'))).toMatchObject({ kind: 'transient' });
  });

  it('passes a RefreshFailedError through untouched', () => {
    const error = new RefreshFailedError('x', { kind: 'terminal' });
    expect(toRefreshError(error)).toBe(error);
  });
});

describe('classify', () => {
  it('lets the OAuth error win over the status', () => {
    expect(classify(503, 'invalid_client')).toBe('terminal');
    expect(classify(400, 'temporarily_unavailable')).toBe('transient');
    expect(classify(408, undefined)).toBe('transient');
    expect(classify(403, undefined)).toBe('terminal');
    expect(classify(undefined, undefined)).toBe('transient');
  });
});

describe('retryAfter', () => {
  it('ignores garbage', () => {
    expect(retryAfter(new Response(null, { headers: { 'retry-after': 'soon' } }))).toBeUndefined();
    expect(retryAfter(undefined)).toBeUndefined();
  });
});
