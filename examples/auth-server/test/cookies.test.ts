import { describe, expect, it } from 'vitest';
import { createAuthServer } from '../src/index.js';
import { parseSetCookie, type SetCookie } from '../../../packages/server/test/helpers/cookie-jar.js';
import { body, start } from './helpers/client.js';

function byName(response: Response): Map<string, SetCookie> {
  return new Map(response.headers.getSetCookie().map((line) => [parseSetCookie(line).name, parseSetCookie(line)]));
}

describe('cookies', () => {
  it('sets the refresh cookie HttpOnly, SameSite=Strict, Path=/auth, for refreshTtlSeconds', async () => {
    const { client } = await start({ refreshTtlSeconds: 3600 });
    const login = await client().login();
    const refresh = byName(login).get('tw_refresh')!;
    expect(refresh.value).toMatch(/^[\w-]{43}$/);
    expect(Object.fromEntries(refresh.attributes)).toEqual({
      httponly: true,
      samesite: 'Strict',
      path: '/auth',
      'max-age': '3600',
    });
  });

  it('sets a readable CSRF cookie on Path=/ (no HttpOnly)', async () => {
    const { client } = await start();
    const csrf = byName(await client().login()).get('tw_csrf')!;
    expect(csrf.attributes.get('httponly')).toBeUndefined();
    expect(csrf.attributes.get('samesite')).toBe('Strict');
    expect(csrf.attributes.get('path')).toBe('/');
  });

  it('adds Secure, and the __Host-/__Secure- name prefixes, everywhere but on localhost when secure is auto', async () => {
    const server = createAuthServer();
    try {
      const login = (origin: string) =>
        server.handle(
          new Request(`${origin}/auth/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: 'demo', password: 'demo' }),
          }),
        );
      for (const origin of ['https://demo.example', 'http://demo.example']) {
        const secure = byName(await login(origin));
        expect([...secure.keys()]).toEqual(['__Secure-tw_refresh', '__Host-tw_session', '__Host-tw_csrf']);
        expect(secure.get('__Secure-tw_refresh')!.attributes.get('secure')).toBe(true);
        expect(secure.get('__Host-tw_csrf')!.attributes.get('path')).toBe('/');
      }
      for (const origin of ['http://127.0.0.1:3000', 'http://localhost:3000']) {
        const local = byName(await login(origin));
        expect([...local.keys()]).toEqual(['tw_refresh', 'tw_session', 'tw_csrf']);
        expect(local.get('tw_refresh')!.attributes.has('secure')).toBe(false);
      }
    } finally {
      await server.close();
    }
  });

  it('in cookie mode puts the access token only in an HttpOnly cookie on Path=/api', async () => {
    const { client } = await start({ accessTtlSeconds: 45 });
    const browser = client();
    const login = await browser.login('demo', 'cookie');
    expect(await body(login)).toEqual({ token_type: 'cookie', expires_in: 45 });
    const access = byName(login).get('tw_access')!;
    expect(access.value.split('.')).toHaveLength(3);
    expect(Object.fromEntries(access.attributes)).toEqual({
      httponly: true,
      samesite: 'Strict',
      path: '/api',
      'max-age': '45',
    });

    // The family remembers its mode: refreshes answer the same way.
    const refresh = await browser.refresh();
    expect(await body(refresh)).toEqual({ token_type: 'cookie', expires_in: 45 });
    expect(byName(refresh).get('tw_access')!.value).not.toBe(access.value);

    const me = await browser.api('/api/me'); // no Authorization header: the cookie authenticates
    expect(me.status).toBe(200);
    expect(await body(me)).toMatchObject({ sub: 'demo', role: 'user' });
  });

  it('in bearer mode returns the access token in the body and sets no access cookie', async () => {
    const { client } = await start();
    const login = await client().login('demo', 'bearer');
    expect(await body(login)).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 30 });
    expect(byName(login).has('tw_access')).toBe(false);
  });

  it('marks /auth and /api answers no-store', async () => {
    const { client } = await start();
    const browser = client();
    for (const response of [await browser.login(), await browser.refresh(), await browser.api('/api/me')]) {
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });
});
