import { describe, expect, it } from 'vitest';
import { isTokenwardError } from '@tokenward/core';
import { createAuthHandler, createOidcUpstream } from '../src/index.js';
import { safeReturnTo } from '../src/safe-return-to.js';

const ORIGIN = 'https://app.test';

describe('safeReturnTo', () => {
  it('keeps same-origin paths with their query and fragment', () => {
    expect(safeReturnTo('/notes?id=1#top', ORIGIN)).toBe('/notes?id=1#top');
    expect(safeReturnTo('/a/../b', ORIGIN)).toBe('/b');
  });

  it.each(['https://evil.test/', '//evil.test', '/\\evil.test', '\\\\evil.test', '/\t/evil.test', '/\n/evil.test', 'javascript:alert(1)', 'notes', '', null, '/' + 'a'.repeat(2048)])(
    'refuses %j',
    (value) => {
      expect(safeReturnTo(value, ORIGIN)).toBe('/');
    },
  );
});

describe('configuration', () => {
  const valid = { issuer: 'https://id.test', clientId: 'app', clientSecret: 's', redirectUri: `${ORIGIN}/auth/callback`, encryptionKey: new Uint8Array(32) };

  it.each([
    [{ ...valid, clientSecret: undefined }, 'exactly one of'],
    [{ ...valid, privateKey: {} as CryptoKey }, 'exactly one of'],
    [{ ...valid, encryptionKey: new Uint8Array(16) }, '`encryptionKey` must be 32 bytes'],
    [{ ...valid, issuer: '' }, '`issuer`'],
    [{ ...valid, refreshTimeoutMs: 0 }, '`refreshTimeoutMs` must be a positive integer'],
  ])('createOidcUpstream refuses %#', (options, message) => {
    let thrown: unknown;
    try {
      createOidcUpstream(options);
    } catch (error) {
      thrown = error;
    }
    expect(isTokenwardError(thrown) && thrown.code).toBe('ERR_CONFIG');
    expect((thrown as Error).message).toContain(message);
  });

  it('createAuthHandler needs authenticate or upstream, and with only upstream has no password login', async () => {
    expect(() => createAuthHandler({ issuer: ORIGIN, audience: ORIGIN })).toThrow(/`authenticate` must be a function \(or pass `upstream`\)/);
    const auth = createAuthHandler({ issuer: ORIGIN, audience: ORIGIN, upstream: createOidcUpstream(valid) });
    const post = await auth.handle(new Request(`${ORIGIN}/auth/login`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }));
    expect([post?.status, post?.headers.get('allow')]).toEqual([405, 'GET']);
    await auth.close();
  });
});
