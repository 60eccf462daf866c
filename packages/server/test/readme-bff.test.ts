import { readFileSync } from 'node:fs';
import { base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { freeOrigin, listenUntilDone } from './helpers/serve-snippet.js';
import { CLIENT_ID, CLIENT_SECRET, ENCRYPTION_KEY, oidcSetup } from './helpers/oidc-setup.js';

describe('the README: SPA + BFF against an OpenID provider', () => {
  it('the server snippet signs in at the provider, and the page then refreshes through /auth/refresh', async () => {
    // The provider of the helper, with its client registered for the snippet's origin.
    const { port, origin } = await freeOrigin();
    const setup = await oidcSetup({ redirectOrigin: origin });
    Object.assign(process.env, { APP_ORIGIN: origin, OIDC_ISSUER: setup.issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET, TOKENWARD_KEY: base64url.encode(ENCRYPTION_KEY) });
    const { server } = await import('./fixtures/readme/bff.js');
    await listenUntilDone(server, port);

    const browser = setup.browser(origin);
    const callback = await browser.signIn('?returnTo=%2Fnotes');
    expect([callback.status, callback.headers.get('location')]).toEqual([303, '/notes']);
    const refresh = await browser.request(`${origin}/auth/refresh`, { method: 'POST', csrf: true });
    expect(refresh.status).toBe(200);
    expect(((await refresh.json()) as { token_type: string }).token_type).toBe('Bearer');
    expect((await browser.request(`${origin}/auth/logout`, { method: 'POST', csrf: true })).status).toBe(200);
    expect(setup.counts.revocation).toBe(1);
  });

  it('the README shows both snippets exactly as tested, in under 30 lines of app code', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    let lines = 0;
    for (const file of ['bff.ts', 'bff-page.ts']) {
      const snippet = readFileSync(new URL(`./fixtures/readme/${file}`, import.meta.url), 'utf8');
      expect(readme).toContain('```ts\n' + snippet + '```');
      lines += snippet.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('//')).length;
    }
    expect(lines).toBeLessThan(30);
  });
});
