import { describe, expect, it } from 'vitest';
import { readTokenResponse } from '../src/read-token-response.js';

const json = (body: unknown, init: ResponseInit = {}) => new Response(JSON.stringify(body), { ...init, headers: { 'content-type': 'application/json', ...init.headers } });

describe('readTokenResponse', () => {
  it('reads a sign-in answer into what session.signIn takes', async () => {
    expect(await readTokenResponse(json({ access_token: 'a.b.c', token_type: 'Bearer', expires_in: 30, scope: 'read' }))).toEqual({
      accessToken: 'a.b.c',
      tokenType: 'Bearer',
      expiresIn: 30,
      scope: 'read',
    });
  });

  it('keeps only the expiry in cookie mode', async () => {
    expect(await readTokenResponse(json({ token_type: 'cookie', expires_in: 30 }), 'cookie')).toEqual({ tokenType: 'cookie', expiresIn: 30, scope: undefined });
  });

  it('accepts a numeric-string expires_in and ignores a non-string scope', async () => {
    expect(await readTokenResponse(json({ access_token: 't', expires_in: '45', scope: 7 }))).toMatchObject({ expiresIn: 45, scope: undefined });
  });

  it('reads a null token_type as absent (the session then says Bearer), and checks a given one with the core', async () => {
    expect(await readTokenResponse(json({ access_token: 't', token_type: null, expires_in: 30 }))).toMatchObject({ tokenType: undefined });
    await expect(readTokenResponse(json({ access_token: 't', token_type: 7, expires_in: 30 }))).rejects.toMatchObject({ code: 'ERR_INVALID_TOKEN_RESPONSE', message: 'Token response has a malformed token type' });
  });

  it('refuses lifetimes of zero or over a year', async () => {
    await expect(readTokenResponse(json({ access_token: 't', expires_in: 0 }))).rejects.toMatchObject({ code: 'ERR_INVALID_TOKEN_RESPONSE' });
    await expect(readTokenResponse(json({ access_token: 't', expires_in: 367 * 86400 }))).rejects.toMatchObject({ code: 'ERR_INVALID_TOKEN_RESPONSE' });
  });

  it('reads a Retry-After date in the past as "now", and ignores one it cannot parse', async () => {
    const past = json({}, { status: 503, headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' } });
    await expect(readTokenResponse(past)).rejects.toMatchObject({ status: 503, retryAfterMs: 0 });
    const junk = json({}, { status: 503, headers: { 'retry-after': 'soon' } });
    await expect(readTokenResponse(junk)).rejects.toMatchObject({ status: 503, retryAfterMs: undefined });
  });

  it('drops an OAuth error code that is not a plain word, and never echoes it', async () => {
    const error = await readTokenResponse(json({ error: 'bad <script>' }, { status: 400 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, oauthError: undefined, message: 'Refresh answered HTTP 400' });
  });
});
