import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { SpanStatusCode } from '@opentelemetry/api';
import { createAuthFetch } from '../src/create-auth-fetch.js';
import { createSession } from '../src/create-session.js';
import { RefreshFailedError } from '../src/errors.js';
import { instrument } from '../src/otel.js';
import type { Refresher, Session, SessionEvents } from '../src/types.js';
import { startServer, type TestServer } from './helpers/http-server.js';
import { createOtel, type Otel } from './helpers/otel.js';

/** Every secret of these scenarios carries it: no span or metric may. */
const SENTINEL = 'SENTINEL7f3a';

/**
 * A token endpoint that answers with the statuses queued in `script` (then 200 with a new token),
 * and an API that accepts only the newest token. Both count their requests.
 */
const world = { calls: 0, issued: 0, script: [] as number[] };
let endpoint: TestServer;
let api: TestServer;
const current = () => `at-${SENTINEL}-${world.issued}`;

beforeAll(async () => {
  endpoint = await startServer((_, response) => {
    world.calls++;
    const status = world.script.shift() ?? 200;
    // Answered after a short wait, so that every caller of a stampede arrives during the refresh.
    setTimeout(() => {
      if (status !== 200) return void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: status === 400 ? 'invalid_grant' : 'temporarily_unavailable' }));
      world.issued++;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: current(), token_type: 'Bearer', expires_in: 300 }));
    }, 20);
  });
  api = await startServer((request, response) => {
    response.writeHead(request.headers.authorization === `Bearer ${current()}` ? 200 : 401).end();
  });
});
afterAll(() => Promise.all([endpoint.close(), api.close()]));

/** A refresh-token grant against the endpoint, with secrets in the body and in the URL's query. */
const refresh: Refresher = async ({ signal }) => {
  const response = await fetch(`${endpoint.url}/token?client_secret=${SENTINEL}`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: `rt-${SENTINEL}` }),
    signal,
  });
  const body = (await response.json()) as { access_token?: string; expires_in?: number; error?: string };
  if (!response.ok) throw new RefreshFailedError('Token endpoint refused the refresh', { status: response.status, oauthError: body.error });
  return { accessToken: body.access_token, expiresIn: body.expires_in };
};

let otel: Otel;
let session: Session;
afterEach(async () => {
  session.dispose();
  await otel.shutdown();
});

function start(script: number[], tokens = true): Session {
  Object.assign(world, { calls: 0, script });
  otel = createOtel();
  const inner = createSession({ refresh, policy: { backoffMs: 20 }, tokens: tokens ? { accessToken: `at-${SENTINEL}-stale`, expiresIn: 300 } : undefined });
  return (session = instrument(inner, { tracer: otel.tracer, meter: otel.meter }));
}

const next = <E extends keyof SessionEvents>(event: E) => new Promise<SessionEvents[E]>((resolve) => session.on(event, resolve));
const sum = (points: Array<{ value: unknown }>) => points.reduce((total, p) => total + (typeof p.value === 'number' ? p.value : (p.value as Histogram).count), 0);

describe('instrument (OpenTelemetry)', () => {
  it('makes exactly 1 refresh span for a stampede of 100 callers answered 401, and counts 100 retried requests', async () => {
    start([]);
    const authFetch = createAuthFetch(session, { origins: [api.url] });
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => authFetch(`${api.url}/item/${i}`)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(100);
    expect(world.calls).toBe(1);
    await Promise.resolve();

    const spans = otel.spans();
    expect(spans.map((s) => [s.name, s.attributes['tokenward.refresh.reason'], s.attributes['tokenward.refresh.attempt'], s.attributes['tokenward.refresh.outcome']])).toEqual([
      ['tokenward.refresh', 'unauthorized', 1, 'ok'],
    ]);
    expect(spans[0]!.status.code).toBe(SpanStatusCode.OK);
    expect(await otel.points('tokenward.refresh.outcomes')).toMatchObject([{ attributes: { 'tokenward.refresh.outcome': 'ok' }, value: 1 }]);
    expect(sum(await otel.points('tokenward.refresh.duration'))).toBe(1);
    expect(sum(await otel.points('tokenward.request.unauthorized'))).toBe(100);
    // Each request used a token twice: the stale one, then the fresh one.
    expect(sum(await otel.points('tokenward.token.age'))).toBe(200);
  });

  it('makes one failed and one ok span for a 503 then a success', async () => {
    start([503]);
    const refreshed = next('refreshed');
    void session.refresh().catch(() => {});
    await refreshed;
    await Promise.resolve();
    expect(world.calls).toBe(2);

    const spans = otel.spans();
    expect(spans.map((s) => [s.attributes['tokenward.refresh.reason'], s.attributes['tokenward.refresh.attempt'], s.attributes['tokenward.refresh.outcome'], s.status.code])).toEqual([
      ['manual', 1, 'failed', SpanStatusCode.ERROR],
      ['retry', 2, 'ok', SpanStatusCode.OK],
    ]);
    expect(spans[0]!.attributes).toMatchObject({ 'tokenward.refresh.failure_kind': 'transient', 'error.type': 'ERR_REFRESH_FAILED', 'http.response.status_code': 503 });
    const outcomes = await otel.points('tokenward.refresh.outcomes');
    expect(outcomes.map((p) => [p.attributes['tokenward.refresh.outcome'], p.attributes['tokenward.refresh.failure_kind'], p.value]).sort()).toEqual([
      ['failed', 'transient', 1],
      ['ok', undefined, 1],
    ]);
  });

  it('counts an expired session by reason, with its terminal refresh span', async () => {
    start([400]);
    const expired = next('session-expired');
    await expect(session.refresh()).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
    expect((await expired).reason).toBe('invalid_grant');
    await Promise.resolve();

    expect(otel.spans().map((s) => [s.attributes['tokenward.refresh.outcome'], s.attributes['tokenward.refresh.failure_kind']])).toEqual([['failed', 'terminal']]);
    expect(await otel.points('tokenward.session.expired')).toMatchObject([{ attributes: { 'tokenward.session.reason': 'invalid_grant', 'tokenward.event.origin': 'local' }, value: 1 }]);
  });

  it('ends with ok the span of a refresh that brings a signed-out session back (a sign-in, not a refresh, for the session)', async () => {
    start([]);
    session.signOut();
    const signedIn = next('signed-in');
    expect(await session.refresh()).toBe(current());
    await signedIn;
    await Promise.resolve();
    expect(otel.spans().map((s) => [s.attributes['tokenward.refresh.reason'], s.attributes['tokenward.refresh.outcome']])).toEqual([['manual', 'ok']]);
    expect(world.calls).toBe(1);
  });

  it('never puts a token, a refresh token or a URL query in a span or a metric', async () => {
    start([503, 400]);
    const authFetch = createAuthFetch(session, { origins: [api.url] });
    const expired = next('session-expired');
    await Promise.all(Array.from({ length: 10 }, () => authFetch(`${api.url}/secret?access_token=${SENTINEL}`)));
    await expired;
    session.signIn({ accessToken: `at-${SENTINEL}-signin`, refreshToken: `rt-${SENTINEL}`, expiresIn: 300 });
    const refreshed = next('refreshed');
    await Promise.all(Array.from({ length: 10 }, () => authFetch(`${api.url}/x?q=${SENTINEL}`)));
    await refreshed;
    await Promise.resolve();
    expect(otel.spans().map((s) => s.attributes['tokenward.refresh.outcome'])).toEqual(['failed', 'failed', 'ok']);
    const everything = await otel.everything();
    expect(everything).toContain('tokenward.refresh');
    expect(everything).not.toContain(SENTINEL);
  });

  it('works without a tracer or meter: the API is a no-op until an SDK registers a provider', async () => {
    start([]);
    const plain = instrument(createSession({ refresh }));
    expect(await plain.getAccessToken()).toBe(current());
    plain.dispose();
    expect(otel.spans()).toHaveLength(0);
  });
});
