// A token endpoint that answers like an attacker: an endless body, secrets echoed in
// error_description, a DPoP-bound token handed to a client that cannot prove possession.
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { RefreshFailedError, isTokenwardError } from '@tokenward/core';
import { createTestClock } from '@tokenward/core/testing';
import { describe, expect, it } from 'vitest';
import { useClientCredentials } from './helpers/use-client-credentials.js';

const fixture = useClientCredentials({ accessTokenTTL: 60 });
const { source } = fixture;

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('should have failed'),
    (error: unknown) => error as RefreshFailedError,
  );

const MB = 1024 * 1024;

/** A JSON body that opens an access token and never closes it, up to `limit` bytes; counts what was pulled. */
function endlessBody(limit: number): { stream: Readable; pulled: () => number; ended: () => boolean } {
  let pulled = 0;
  let ended = false;
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const stream = new Readable({
    read() {
      if (pulled === 0) {
        pulled += 17;
        this.push('{"access_token":"');
        return;
      }
      if (pulled >= limit) {
        ended = true;
        this.push(null);
        return;
      }
      pulled += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, pulled: () => pulled, ended: () => ended };
}

describe('a hostile token endpoint', () => {
  it('stops reading a token response past 64 KiB: a transient typed error, and the endless body is never read to its end', async () => {
    const body = endlessBody(100 * MB);
    fixture.server.fault = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: body.stream });
    // A clock whose timers never fire: no retry after the transient failure while the test looks on.
    const tokens = source({ clock: createTestClock() });
    const error = await failure(tokens.getAccessToken());
    expect(isTokenwardError(error) && error.code).toBe('ERR_REFRESH_FAILED');
    expect(error).toMatchObject({ kind: 'transient', status: 200 });
    expect(error.message).toBe('Token request failed: the response body is larger than 64 KiB');
    // The client hung up after 64 KiB; what the server still produced is socket buffering, a few MB at most.
    await expect.poll(() => body.stream.destroyed).toBe(true);
    expect(body.ended()).toBe(false);
    expect(body.pulled()).toBeLessThan(16 * MB);
    expect(fixture.server.counts.tokenRequests).toBe(1);
  }, 30_000);

  it('reads a token response of just under 64 KiB', async () => {
    const accessToken = 'a'.repeat(64 * 1024 - 100);
    fixture.server.fault = () => ({ status: 200, body: { access_token: accessToken, token_type: 'Bearer', expires_in: 60 } });
    expect(await source().getAccessToken()).toBe(accessToken);
  });

  it('keeps error_description out of the error message and its inspection, and keeps the OAuth error code', async () => {
    const echoed = 'client_secret=hunter2-echoed-back';
    fixture.server.fault = ({ number }) =>
      number === 1
        ? { status: 400, body: { error: 'invalid_request', error_description: echoed } }
        : { status: 401, headers: { 'www-authenticate': `Basic realm="as", error="invalid_client", error_description="${echoed}"` }, body: { error: 'invalid_client', error_description: echoed } };
    for (const [audience, oauthError] of [['https://one.test', 'invalid_request'], ['https://two.test', 'invalid_client']] as const) {
      const error = await failure(source({ audience }).getAccessToken());
      expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'terminal', oauthError });
      expect(error.message).toBe(`Token request failed: ${oauthError}`);
      expect(inspect(error, { depth: 10 })).not.toContain('hunter2');
      expect(JSON.stringify(error)).not.toContain('hunter2');
    }
  });

  it('refuses token_type DPoP while DPoP is not configured: a terminal ERR_INVALID_TOKEN_RESPONSE after one call, never sent as a scheme', async () => {
    fixture.server.fault = () => ({ status: 200, body: { access_token: 'dpop-bound-token', token_type: 'DPoP', expires_in: 60 } });
    const tokens = source();
    const error = await failure(tokens.getAccessToken());
    expect(error).toMatchObject({ code: 'ERR_REFRESH_FAILED', kind: 'terminal' });
    expect((error.cause as { code?: string }).code).toBe('ERR_INVALID_TOKEN_RESPONSE');
    expect(error.message).toContain('DPoP');
    expect(error.message).not.toContain('dpop-bound-token');
    // Terminal: the next caller gets the same refusal without another call.
    expect(await failure(tokens.getAccessToken())).toBe(error);
    expect(await failure(tokens.session().getTokenSet())).toBe(error);
    expect(fixture.server.counts.tokenRequests).toBe(1);
  });
});
