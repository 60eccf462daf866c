import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { createDpopFetch, createDpopProver, generateDpopKeyPair } from '@tokenward/core/dpop';
import { freeOrigin, listenUntilDone } from './helpers/serve-snippet.js';

/** The value of `name` in a response's Set-Cookie lines. */
const cookieOf = (response: Response, name: string) => response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`))?.split(';')[0]!.slice(name.length + 1);

describe('the README: DPoP on the server half', () => {
  it('the server snippet binds a login to the client key, refreshes only with it, and its API takes only DPoP with a proof', async () => {
    const { port, origin } = await freeOrigin();
    process.env.APP_ORIGIN = origin;
    const { server } = await import('./fixtures/readme/dpop-server.js');
    await listenUntilDone(server, port);

    // The client side: the core's prover (panva's dpop) and fetch, as @tokenward/node and the page use them.
    const prover = await createDpopProver(await generateDpopKeyPair());
    const dpopFetch = createDpopFetch(prover, { urls: [`${origin}/auth/login`, `${origin}/auth/refresh`] });
    const login = await dpopFetch(`${origin}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ada@example.com', password: 'correct horse' }) });
    const session = (await login.json()) as { access_token: string; token_type: string };
    expect([login.status, session.token_type, decodeJwt(session.access_token).cnf]).toEqual([200, 'DPoP', { jkt: prover.thumbprint }]);

    const api = `${origin}/api/me`;
    const me = await dpopFetch(api, { headers: { authorization: `DPoP ${session.access_token}` } });
    expect([me.status, await me.json()]).toEqual([200, { hello: 'user-1' }]);
    const statuses = [await fetch(api, { headers: { authorization: `DPoP ${session.access_token}` } }), await fetch(api, { headers: { authorization: `Bearer ${session.access_token}` } })].map((response) => response.status);
    expect(statuses).toEqual([401, 401]);

    const [refresh, csrf] = [cookieOf(login, 'tw_refresh'), cookieOf(login, 'tw_csrf')];
    const headers = { cookie: `tw_refresh=${refresh}; tw_csrf=${csrf}`, 'x-tokenward-csrf': csrf! };
    expect((await fetch(`${origin}/auth/refresh`, { method: 'POST', headers })).status).toBe(401);
    const rotated = await dpopFetch(`${origin}/auth/refresh`, { method: 'POST', headers });
    expect([rotated.status, ((await rotated.json()) as { token_type: string }).token_type]).toEqual([200, 'DPoP']);
  });

  it('the README shows the server snippet and the page snippet (run in Chromium by test/browser/dpop.test.ts) exactly as tested', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const file of ['dpop-server.ts', 'dpop-page.ts']) {
      const snippet = readFileSync(new URL(`./fixtures/readme/${file}`, import.meta.url), 'utf8');
      expect(readme).toContain('```ts\n' + snippet + '```');
    }
  });
});
