import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { decodeJwt } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDpopFetch, createDpopProver, generateDpopKeyPair } from '@tokenward/core/dpop';
import { createAuthHandler, createTokenVerifier, toNodeHandler, type AuthEvent } from '@tokenward/server';
import { launchChromium } from './helpers/chromium.js';
import { eventually } from './helpers/harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ISSUER = 'http://dpop.test';
const AUDIENCE = 'http://dpop.test/api';

let browser: Browser;
let dir: string;
beforeAll(async () => {
  // The page script bundled from source with the SDK (tsconfig paths: the packages' sources); the
  // README snippet is its own chunk, loaded when the test boots the tabs.
  dir = mkdtempSync(join(tmpdir(), 'tokenward-dpop-'));
  await build({ entryPoints: [join(root, 'test/browser/fixtures/dpop-app.ts')], bundle: true, splitting: true, format: 'esm', platform: 'browser', target: 'es2022', outdir: dir, entryNames: 'app', absWorkingDir: root, tsconfig: join(root, 'tsconfig.json'), logLevel: 'silent' });
  browser = await launchChromium();
});
afterAll(() => browser?.close());

/** The auth routes with dpop on, an API behind the DPoP verifier, and the page; what reached the API. */
async function startServer() {
  const events: AuthEvent[] = [];
  const auth = createAuthHandler({
    issuer: ISSUER,
    audience: AUDIENCE,
    dpop: true,
    graceMs: 0,
    keyRotationMs: 0,
    rateLimit: false,
    authenticate: async (request) => ({ sub: String(((await request.json()) as { email: string }).email) }),
    onEvent: (event) => events.push(event),
  });
  const authorizations: string[] = [];
  // Made once the port is known: proofs must name the API's public origin.
  const api: { verify?: ReturnType<typeof createTokenVerifier> } = {};
  const routes = toNodeHandler(auth);
  const server: Server = createServer(async (req, res) => {
    if (req.url === '/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>');
    if (/^\/[\w-]+\.js$/.test(req.url!)) return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(join(dir, req.url!.slice(1))));
    if (req.url === '/api/me') {
      authorizations.push(String(req.headers.authorization).split(' ')[0]!);
      const result = await api.verify!({ headers: req.headers, method: req.method, url: req.url });
      if (!result.ok) return void res.writeHead(result.status, { 'www-authenticate': result.challenge, 'content-type': 'application/json' }).end(JSON.stringify({ error: result.error }));
      return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: result.claims.sub, jkt: (result.claims.cnf as { jkt: string }).jkt }));
    }
    routes(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api.verify = createTokenVerifier({ jwks: () => auth.jwks(), issuer: ISSUER, audience: AUDIENCE, dpop: true, origin });
  return { origin, events, authorizations, count: (type: AuthEvent['type']) => events.filter((event) => event.type === type).length, close: () => (server.closeAllConnections(), server.close(), auth.close()) };
}

const booted = (tab: Page) => tab.evaluate(async () => (window.dpopApp = await window.bootDpopApp()).thumbprint);

describe('DPoP in Chromium: one non-extractable key per origin, bound sessions, a DPoP resource server', () => {
  it('three tabs share one key and one refresh; the bound token works only with the key; stolen token and cookie fail from Node', async () => {
    const server = await startServer();
    const context = await browser.newContext();
    try {
      // Three tabs boot at once on an origin with no key yet: one key comes out of the race.
      const tabs = await Promise.all([0, 1, 2].map(() => context.newPage()));
      await Promise.all(tabs.map((tab) => tab.goto(server.origin)));
      const thumbprints = await Promise.all(tabs.map(booted));
      expect(new Set(thumbprints).size).toBe(1);
      const [thumbprint] = thumbprints;

      // The private key never leaves WebCrypto, and no storage holds key material.
      expect(await tabs[0]!.evaluate(() => window.dpopApp.exportPrivateKey())).toEqual(['InvalidAccessError', 'InvalidAccessError']);
      for (const tab of tabs) {
        expect(await tab.evaluate(() => window.dpopApp.storage())).toEqual({
          localStorage: 0,
          sessionStorage: 0,
          records: 1,
          members: { privateKey: { type: 'private', extractable: false, algorithm: 'ECDSA' }, publicKey: { type: 'public', extractable: true, algorithm: 'ECDSA' } },
          databases: ['tokenward-dpop'],
        });
      }

      // Boot done (its refresh, without a cookie yet, refused), then sign in from one tab with a
      // proof: the session is bound from the start.
      await Promise.all(tabs.map((tab) => tab.evaluate(() => window.dpopApp.session.ready())));
      await tabs[0]!.evaluate(() => window.dpopApp.login('alice'));
      const before = server.count('refresh');
      // Every tab asks for a refresh at the same moment: one rotation serves them all.
      await Promise.all(tabs.map((tab) => tab.evaluate(() => window.dpopApp.session.refresh())));
      await eventually(async () => expect(new Set(await Promise.all(tabs.map((tab) => tab.evaluate(() => window.dpopApp.session.getAccessToken())))).size).toBe(1));
      expect(server.count('refresh') - before).toBe(1);
      const token = await tabs[1]!.evaluate(() => window.dpopApp.session.getAccessToken());
      expect(decodeJwt(token).cnf).toEqual({ jkt: thumbprint });

      // API calls through session.fetch go out as DPoP with a proof, and pass the DPoP verifier.
      const calls = await Promise.all(tabs.map((tab) => tab.evaluate(() => window.dpopApp.api())));
      expect(calls.map((call) => [call.status, JSON.parse(call.body)])).toEqual(tabs.map(() => [200, { sub: 'alice', jkt: thumbprint }]));
      expect(server.authorizations).toEqual(['DPoP', 'DPoP', 'DPoP']);

      // The stolen access token from Node: without a proof, as Bearer, with a proof of another key.
      const api = `${server.origin}/api/me`;
      const thief = await createDpopProver(await generateDpopKeyPair());
      const attempts = [
        await fetch(api, { headers: { authorization: `DPoP ${token}` } }),
        await fetch(api, { headers: { authorization: `Bearer ${token}` } }),
        await createDpopFetch(thief)(api, { headers: { authorization: `DPoP ${token}` } }),
      ];
      expect(attempts.map((response) => [response.status, response.headers.get('www-authenticate')?.split(',')[0]])).toEqual([
        [401, 'DPoP error="invalid_dpop_proof"'],
        [401, 'Bearer error="invalid_token"'],
        [401, 'DPoP error="invalid_dpop_proof"'],
      ]);

      // The stolen refresh cookie (and CSRF cookie) from Node: without the key, with another key.
      const jar = Object.fromEntries((await context.cookies()).map((cookie) => [cookie.name, cookie.value]));
      const headers = { cookie: `tw_refresh=${jar.tw_refresh}; tw_csrf=${jar.tw_csrf}`, 'x-tokenward-csrf': jar.tw_csrf! };
      const refreshUrl = `${server.origin}/auth/refresh`;
      const mark = server.events.length;
      const stolen = [
        await fetch(refreshUrl, { method: 'POST', headers }),
        await createDpopFetch(thief, { urls: [refreshUrl] })(refreshUrl, { method: 'POST', headers }),
      ];
      expect(await Promise.all(stolen.map(async (response) => [response.status, await response.json()]))).toEqual([
        [401, { error: 'invalid_grant' }],
        [401, { error: 'invalid_grant' }],
      ]);
      expect(server.events.slice(mark)).toEqual([
        { type: 'invalid_grant', reason: 'dpop_key' },
        { type: 'invalid_grant', reason: 'dpop_key' },
      ]);
      expect(server.count('reuse')).toBe(0);

      // Nothing rotated or revoked: the tabs refresh on, bound to the same key.
      await tabs[2]!.evaluate(() => window.dpopApp.session.refresh());
      expect(server.count('refresh') - before).toBe(2);
      expect(decodeJwt(await tabs[2]!.evaluate(() => window.dpopApp.session.getAccessToken())).cnf).toEqual({ jkt: thumbprint });
      expect((await tabs[0]!.evaluate(() => window.dpopApp.api())).status).toBe(200);
    } finally {
      await context.close();
      server.close();
    }
  }, 60_000);
});
