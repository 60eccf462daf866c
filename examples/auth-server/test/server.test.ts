import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuthServer, listen } from '../src/index.js';
import { body, start } from './helpers/client.js';

/** Sends a raw path, so `..` and odd encodings reach the server unnormalised. */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    httpRequest({ hostname, port, path }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
    })
      .on('error', reject)
      .end();
  });
}

describe('listen', () => {
  it('rejects with an error naming the port when it is already in use', async () => {
    const { url } = await start();
    const port = Number(new URL(url).port);
    const server = createAuthServer();
    await expect(listen(server, { port })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    server.close();
  });

  it('answers login, bad credentials and bad bodies with JSON errors', async () => {
    const { client, server } = await start();
    const browser = client();
    const wrong = await browser.login('demo', 'bearer', 'nope');
    expect([wrong.status, await body(wrong)]).toEqual([401, { error: 'invalid_credentials' }]);
    const unknown = await browser.login('mallory');
    expect(unknown.status).toBe(401);
    const form = await browser.request('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([form.status, await body(form)]).toEqual([415, { error: 'unsupported_media_type' }]);
    const mode = await browser.request('/auth/login', { json: { username: 'demo', password: 'demo', mode: 'x' } });
    expect(mode.status).toBe(400);
    const huge = await browser.request('/auth/login', { json: { username: 'demo', password: 'x'.repeat(100_000) } });
    expect(huge.status).toBe(413);
    expect(server.stats().logins).toBe(0);
  });

  it('serves the counters and resets them', async () => {
    const { client } = await start();
    const browser = client();
    await browser.login();
    await browser.refresh();
    const stats = await body(await browser.request('/auth/stats'));
    expect(stats).toEqual({
      refreshRequests: 1, refreshSuccesses: 1, refreshFailures: 0, graceReuses: 0, reuseDetections: 0,
      logins: 1, logouts: 0, apiCalls: 0, apiUnauthorized: 0, csrfRejections: 0,
    });
    expect((await browser.request('/auth/stats/reset', { method: 'POST' })).status).toBe(204);
    expect((await body(await browser.request('/auth/stats'))).logins).toBe(0);
  });

  it('answers 404 for unknown paths and 405 with Allow for a known path', async () => {
    const { client } = await start();
    const browser = client();
    const missing = await browser.request('/nope');
    expect([missing.status, await body(missing)]).toEqual([404, { error: 'not_found' }]);
    const method = await browser.request('/auth/login');
    expect([method.status, method.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('checks extra routes first', async () => {
    const { client } = await start({
      extraRoutes: [
        { method: 'GET', path: '/hello', handler: () => new Response('hi') },
        { method: 'GET', path: '/api/me', handler: () => Response.json({ overridden: true }) },
      ],
    });
    const browser = client();
    expect(await (await browser.request('/hello')).text()).toBe('hi');
    expect(await body(await browser.request('/api/me'))).toEqual({ overridden: true });
  });
});

describe('static files', () => {
  async function site() {
    const parent = await mkdtemp(join(tmpdir(), 'auth-server-'));
    const root = join(parent, 'site');
    await mkdir(join(root, 'assets'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>demo</title>');
    await writeFile(join(root, 'assets', 'app.js'), 'export {};');
    await writeFile(join(root, 'assets', 'app.css'), 'body{}');
    await writeFile(join(parent, 'secret.txt'), 'outside');
    await symlink(join(parent, 'secret.txt'), join(root, 'link.txt'));
    return root;
  }

  it('serves index.html for / and files with their content type', async () => {
    const { client } = await start({ staticDir: await site() });
    const browser = client();
    const index = await browser.request('/');
    expect([index.status, index.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect(await index.text()).toContain('<title>demo</title>');
    const js = await browser.request('/assets/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await browser.request('/assets/app.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    const head = await browser.request('/assets/app.js', { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '10', '']);
    expect((await browser.request('/assets/missing.js')).status).toBe(404);
    expect((await browser.request('/assets')).status).toBe(404); // a directory without index.html
  });

  it('never serves a file outside the directory', async () => {
    const { url } = await start({ staticDir: await site() });
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/link.txt', '/%00']) {
      const response = await rawGet(url, path);
      expect(response.status, path).toBe(404);
      expect(response.body, path).not.toContain('outside');
    }
  });
});
