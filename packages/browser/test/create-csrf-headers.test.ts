// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { createCsrfHeaders } from '../src/create-csrf-headers.js';

function clearCookies(): void {
  for (const pair of document.cookie.split(';')) {
    const name = pair.split('=')[0]!.trim();
    // A prefixed cookie is only replaced (here: deleted) by a Secure one.
    if (name) document.cookie = `${name}=; Max-Age=0; Path=/${name.startsWith('__') ? '; Secure' : ''}`;
  }
}

afterEach(clearCookies);

describe('createCsrfHeaders', () => {
  it('sends the custom header with "1" when the server set no CSRF cookie', () => {
    expect(createCsrfHeaders()()).toEqual({ 'x-tokenward-csrf': '1' });
  });

  it('echoes the readable CSRF cookie (double submit), read anew on every call', () => {
    const headers = createCsrfHeaders();
    document.cookie = 'other=x; Path=/';
    document.cookie = 'tw_csrf=Abc-123_xyz; Path=/';
    expect(headers()).toEqual({ 'x-tokenward-csrf': 'Abc-123_xyz' });
    document.cookie = 'tw_csrf=rotated; Path=/';
    expect(headers()).toEqual({ 'x-tokenward-csrf': 'rotated' });
  });

  it("reads @tokenward/server's __Host-tw_csrf first (Secure origins), then tw_csrf (plain http on localhost)", () => {
    document.cookie = 'tw_csrf=plain; Path=/';
    expect(createCsrfHeaders()()).toEqual({ 'x-tokenward-csrf': 'plain' });
    document.cookie = '__Host-tw_csrf=prefixed; Path=/; Secure';
    expect(document.cookie).toContain('__Host-tw_csrf=prefixed');
    expect(createCsrfHeaders()()).toEqual({ 'x-tokenward-csrf': 'prefixed' });
  });

  it('uses the configured header and cookie names, and does not mistake a cookie whose name merely ends alike', () => {
    document.cookie = 'not_csrf=wrong; Path=/';
    document.cookie = 'csrf=right; Path=/';
    expect(createCsrfHeaders({ header: 'x-csrf', cookie: 'csrf' })()).toEqual({ 'x-csrf': 'right' });
  });

  it('falls back to "1" for a cookie value no header may carry', () => {
    document.cookie = 'tw_csrf=a b; Path=/';
    expect(createCsrfHeaders()()).toEqual({ 'x-tokenward-csrf': '1' });
  });

  it('ignores cookies when `cookie` is false, and sends nothing when csrf is false', () => {
    document.cookie = 'tw_csrf=value; Path=/';
    expect(createCsrfHeaders({ cookie: false })()).toEqual({ 'x-tokenward-csrf': '1' });
    expect(createCsrfHeaders(false)()).toEqual({});
  });

  it('refuses names that are not HTTP tokens', () => {
    expect(() => createCsrfHeaders({ header: 'x csrf' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => createCsrfHeaders({ cookie: 'a;b' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });

  it('never writes a cookie', () => {
    const before = document.cookie;
    createCsrfHeaders()();
    expect(document.cookie).toBe(before);
  });
});
