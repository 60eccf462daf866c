import { readFileSync } from 'node:fs';
import { metrics, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The README's "Operating it" snippet runs below as written, on the global tracer and meter.
import { createAuthFetch, createSession, RefreshFailedError, type Refresher } from '@tokenward/core';
import { instrument } from '@tokenward/core/otel';
import { createAuthHandler, type AuthEvent } from '@tokenward/server';
import { instrumentAuthEvents } from '@tokenward/server/otel';
import { startServer, type TestServer } from '../../core/test/helpers/http-server.js';
import { createOtel } from '../../core/test/helpers/otel.js';
import { AUDIENCE, Client, ISSUER, authenticate as checkPassword, body } from './helpers/harness.js';

const otel = createOtel();
let api: TestServer;
let latest: string | undefined;
beforeAll(async () => {
  trace.setGlobalTracerProvider(otel.tracerProvider);
  metrics.setGlobalMeterProvider(otel.meterProvider);
  // An API that accepts the newest access token the handler issued.
  api = await startServer((request, response) => void response.writeHead(request.headers.authorization === `Bearer ${latest}` ? 200 : 401).end());
});
afterAll(async () => {
  trace.disable();
  metrics.disable();
  await Promise.all([api.close(), otel.shutdown()]);
});

describe("the README's Operating it snippet", () => {
  it('traces the client refresh, counts the server events, and its alert rule names the reuse metric', async () => {
    const [issuer, audience, authenticate] = [ISSUER, AUDIENCE, checkPassword];
    const audited: AuthEvent[] = [];
    const audit = (event: AuthEvent) => audited.push(event);
    const browser: { current?: Client } = {};
    const refresh: Refresher = async () => {
      const response = await browser.current!.refresh();
      if (!response.ok) throw new RefreshFailedError('Refresh refused', { status: response.status });
      latest = String((await body(response)).access_token);
      return { accessToken: latest, expiresIn: 300 };
    };

    // --- as in the README ---
    const session = instrument(createSession({ refresh }));
    const authFetch = createAuthFetch(session, { origins: ['https://api.example.com'] });
    const auth = createAuthHandler({ authenticate, issuer, audience, onEvent: instrumentAuthEvents({ onEvent: audit }) });
    // ---

    browser.current = new Client(auth, 'http://localhost:3000', '203.0.113.1');
    await browser.current.login();
    const apiFetch = createAuthFetch(session, { origins: [api.url] });
    expect((await apiFetch(`${api.url}/orders`)).status).toBe(200);
    expect(typeof authFetch).toBe('function');
    // The first refresh token, replayed after the grace window (5 s, on the real clock the snippet's handler keeps) by someone who copied it.
    const copied = browser.current.withRefreshToken(browser.current.refreshToken!);
    expect((await session.refresh()).length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 5050));
    expect((await copied.refresh()).status).toBe(401);
    session.dispose();
    auth.close();

    expect(otel.spans().map((span) => [span.name, span.attributes['tokenward.refresh.reason'], span.attributes['tokenward.refresh.outcome']])).toEqual([
      ['tokenward.refresh', 'boot', 'ok'],
      ['tokenward.refresh', 'manual', 'ok'],
    ]);
    expect(audited.map((event) => event.type)).toEqual(['login', 'refresh', 'refresh', 'reuse']);
    expect((await otel.points('tokenward.server.reuse_detected')).map((p) => p.value)).toEqual([1]);
    expect((await otel.points('tokenward.server.rotations')).map((p) => p.value)).toEqual([2]);

    // The alert rule queries that counter under its Prometheus name.
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const expr = /^\s+expr: sum\(increase\((\w+)\[5m\]\)\) > 0$/m.exec(readme)?.[1];
    expect(expr).toBe(`${'tokenward.server.reuse_detected'.replaceAll('.', '_')}_total`);
  });
});
