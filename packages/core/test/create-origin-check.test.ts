import { afterEach, describe, expect, it } from 'vitest';
import { createOriginCheck } from '../src/create-origin-check.js';

/** Where a browser's fetch would really send `url` from `base`: the WHATWG parser, as fetch runs it. */
const destination = (url: string, base?: string) => new URL(url, base).origin;

describe('createOriginCheck', () => {
  const targetOf = createOriginCheck(['https://api.example.com', 'http://127.0.0.1:8080/ignored/path', 'http://[::1]:9000']);

  it.each([
    ['https://api.example.com', 'https://api.example.com'],
    ['https://api.example.com/', 'https://api.example.com/'],
    ['https://api.example.com/v1?x=1', 'https://api.example.com/v1?x=1'],
    ['https://api.example.com?x', 'https://api.example.com?x'],
    ['https://api.example.com#f', 'https://api.example.com#f'],
    // Not a prefix match: parsed, and the parsed URL is what gets fetched.
    ['https://API.example.com/v1', 'https://api.example.com/v1'],
    ['HTTPS://api.example.com/v1', 'https://api.example.com/v1'],
    ['https://api.example.com:443/v1', 'https://api.example.com/v1'],
    ['  https://api.example.com/v1', 'https://api.example.com/v1'],
    ['https://api.exa\tmple.com/v1', 'https://api.example.com/v1'],
    ['https://api.example.com\\v1', 'https://api.example.com/v1'],
    ['http://127.0.0.1:8080/x', 'http://127.0.0.1:8080/x'],
    ['http://[::1]:9000/x', 'http://[::1]:9000/x'],
    ['http://[0:0:0:0:0:0:0:1]:9000/x', 'http://[::1]:9000/x'],
  ])('sends %j to the allowed origin as %j', (url, sent) => {
    expect(targetOf(url)).toBe(sent);
    expect(destination(sent)).toBe(destination(url));
  });

  it.each([
    'https://api.example.com.evil.com/',
    'https://api.example.com\t.evil.com/',
    'https://api.example.com\n.evil.com/',
    'https://api.example.com@evil.com/',
    'https://api.example.com%40evil.com/',
    'https://evil.com/https://api.example.com/',
    'https://evil.com\\@api.example.com/',
    'http://api.example.com/',
    'https://api.example.com:8443/',
    'http://127.0.0.1:8081/',
    'http://[::1]:9001/',
    'http://[::2]:9000/',
    '/relative',
    '//api.example.com.evil.com/',
    'not a url',
    '',
  ])('refuses %j', (url) => {
    expect(targetOf(url)).toBeUndefined();
  });

  describe('in a page', () => {
    const page = 'https://app.example.com/dir/page';
    afterEach(() => {
      delete (globalThis as { location?: unknown }).location;
    });
    const inPage = () => {
      (globalThis as { location?: unknown }).location = { origin: 'https://app.example.com', href: page };
      return createOriginCheck(undefined);
    };

    it("defaults to the page's own origin and resolves relative URLs against the page, as fetch does", () => {
      const check = inPage();
      expect(check('/api/me')).toBe('https://app.example.com/api/me');
      expect(check('api/me')).toBe('https://app.example.com/dir/api/me');
      expect(check('?q=1')).toBe('https://app.example.com/dir/page?q=1');
      expect(check('https://api.example.com/')).toBeUndefined();
    });

    // The URL parser deletes TAB, LF and CR anywhere and strips leading C0 controls and spaces, and
    // treats "\" as "/" in http(s) URLs: each of these is a request to evil.com.
    const controls = ['\t', '\n', '\r'];
    const toEvil = [
      '//evil.com/x',
      '/\\evil.com/x',
      '\\\\evil.com/x',
      '\\/evil.com/x',
      ...controls.flatMap((c) => [`/${c}/evil.com/x`, `${c}//evil.com/x`, `/${c}${c}/evil.com/x`, `/${c}\\evil.com/x`, `\\${c}\\evil.com/x`]),
      ' //evil.com/x',
      '\x00//evil.com/x',
      '\x1f/\t/evil.com/x',
      '//evil.com\t/x',
      '/\t/evil.com?https://app.example.com/x',
      '//EVIL.com/x',
      '//user:pass@evil.com/x',
      'https:\t//evil.com/x',
      'https://evil.com/x',
    ];
    it.each(toEvil)('does not send %j (a request to another origin) with the token', (url) => {
      expect(destination(url, page)).toBe('https://evil.com');
      expect(inPage()(url)).toBeUndefined();
    });

    it('still treats paths with harmless control characters as the page origin, and sends what it checked', () => {
      const check = inPage();
      expect(check('/api\t/me')).toBe('https://app.example.com/api/me');
      expect(check('/api/me\n')).toBe('https://app.example.com/api/me');
    });
  });
});
