// The README's SPA + BFF setup run for real: its server snippet (packages/server/test/fixtures/readme/bff.ts)
// against a real oidc-provider, and its page snippet (bff-page.ts) bundled by esbuild into a page in Chromium.
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { base64url } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createTokenVerifier } from '../../packages/server/src/index.js';
import { CLIENT_ID, CLIENT_SECRET, ENCRYPTION_KEY, oidcSetup } from '../../packages/server/test/helpers/oidc-setup.js';
import { launchChromium } from './helpers/chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const snippets = fileURLToPath(new URL('../../packages/server/test/fixtures/readme/', import.meta.url));

declare global {
  interface Window {
    readme: typeof import('../../packages/server/test/fixtures/readme/bff-page.js');
  }
}

/** The page snippet as an app would ship it: bundled with @tokenward/browser, its exports on `window.readme`, a button calling `signIn`. */
async function bundlePage(): Promise<string> {
  const result = await build({
    stdin: {
      contents: "import * as readme from './bff-page.ts'; window.readme = readme; document.getElementById('sign-in').onclick = readme.signIn;",
      resolveDir: snippets,
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    absWorkingDir: root,
    tsconfig: `${root}tsconfig.json`,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

let browser: Browser;
let script: string;
beforeAll(async () => {
  [script, browser] = await Promise.all([bundlePage(), launchChromium()]);
});
afterAll(() => browser?.close());

describe('the README SPA + BFF setup in Chromium', () => {
  it('the page snippet signs in through the provider, calls an API with session.fetch, and signs out (revoked at the provider)', async () => {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const setup = await oidcSetup({ redirectOrigin: origin });
    Object.assign(process.env, { APP_ORIGIN: origin, OIDC_ISSUER: setup.issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET, TOKENWARD_KEY: base64url.encode(ENCRYPTION_KEY) });
    const { server } = await import('../../packages/server/test/fixtures/readme/bff.js');

    // The snippet's server answers /auth/* and the JWKS; the app's page and API sit in front of it here.
    const verify = createTokenVerifier({ jwksUrl: `${origin}/.well-known/jwks.json`, issuer: origin, audience: `${origin}/api` });
    const apiCalls: (string | null)[] = [];
    const [routes] = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
      const path = new URL(req.url!, origin).pathname;
      if (path === '/page.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      if (path === '/api/me') {
        apiCalls.push(req.headers.authorization?.split(' ')[0] ?? null);
        const result = await verify(new Request(`${origin}${req.url}`, { headers: { authorization: req.headers.authorization ?? '' } }));
        if (!result.ok) return void res.writeHead(result.response.status).end();
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ sub: result.claims.sub }));
      }
      if (path === '/' || path === '/notes') {
        return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><title>notes</title><button id="sign-in">Sign in</button><script src="/page.js"></script>\n');
      }
      routes!(req, res);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    });

    const context = await browser.newContext();
    context.setDefaultTimeout(10_000);
    // The provider's development pages import a web font: there is no network here.
    await context.route(/^https:\/\//, (route) => route.abort());
    const page = await context.newPage();
    await page.goto(`${origin}/notes`);
    await page.evaluate(() => window.readme.session.ready());
    expect(await page.evaluate(() => window.readme.session.getSnapshot().status)).toBe('anonymous');

    await page.click('#sign-in');
    await page.waitForURL(`${setup.issuer}/**`);
    await page.fill('input[name=login]', 'alice');
    await page.fill('input[name=password]', 'any');
    await page.click('button[type=submit]');
    await page.locator('button[autofocus]').click(); // consent
    await page.waitForURL(`${origin}/notes`); // returnTo: where signIn() was called
    await page.evaluate(() => window.readme.session.ready());
    expect(await page.evaluate(() => window.readme.session.getSnapshot().status)).toBe('active');
    expect(setup.counts.token).toBe(1); // the code exchange

    const me = await page.evaluate(async () => {
      const response = await window.readme.session.fetch('/api/me');
      return { status: response.status, body: await response.json() };
    });
    expect(me).toEqual({ status: 200, body: { sub: 'alice' } });
    expect(apiCalls).toEqual(['Bearer']);

    await page.evaluate(() => window.readme.session.signOut());
    expect(await page.evaluate(() => window.readme.session.getSnapshot().status)).toBe('anonymous');
    expect(setup.counts.revocation).toBe(1);
    expect((await context.cookies()).filter((cookie) => cookie.name.startsWith('tw_'))).toEqual([]);
    // Signed out for good: a reload boots no session (no refresh request, no token).
    await page.reload();
    await page.evaluate(() => window.readme.session.ready());
    expect(await page.evaluate(() => window.readme.session.getSnapshot().status)).toBe('anonymous');
    await context.close();
  }, 60_000);
});
