import { afterEach, describe, expect, it } from 'vitest';
import { createOriginCheck } from '../src/create-origin-check.js';

describe('createOriginCheck', () => {
  const isAllowed = createOriginCheck(['https://api.example.com', 'http://127.0.0.1:8080/ignored/path']);

  it.each([
    ['https://api.example.com', true],
    ['https://api.example.com/', true],
    ['https://api.example.com/v1?x=1', true],
    ['https://api.example.com?x', true],
    ['https://API.example.com/v1', true],
    ['https://api.example.com:443/v1', true],
    ['http://127.0.0.1:8080/x', true],
    ['https://api.example.com.evil.com/', false],
    ['https://api.example.com@evil.com/', false],
    ['https://evil.com/https://api.example.com/', false],
    ['http://api.example.com/', false],
    ['https://api.example.com:8443/', false],
    ['http://127.0.0.1:8081/', false],
    ['/relative', false],
    ['not a url', false],
  ])('%s -> %s', (url, expected) => {
    expect(isAllowed(url)).toBe(expected);
  });

  describe('in a page', () => {
    afterEach(() => {
      delete (globalThis as { location?: unknown }).location;
    });

    it("defaults to the page's own origin and resolves relative URLs against it", () => {
      (globalThis as { location?: unknown }).location = { origin: 'https://app.example.com', href: 'https://app.example.com/page' };
      const check = createOriginCheck(undefined);
      expect(check('/api/me')).toBe(true);
      expect(check('api/me')).toBe(true);
      expect(check('//evil.com/api')).toBe(false);
      expect(check('https://api.example.com/')).toBe(false);
    });
  });
});
