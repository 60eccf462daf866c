import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { instrumentAuthEvents } from '../src/otel.js';
import type { AuthEvent } from '../src/index.js';
import { createOtel, type Otel } from '../../core/test/helpers/otel.js';
import { body, setup, type Client } from './helpers/harness.js';

// What an HTTP instrumentation provides: the request's span is the active one while it is handled.
const manager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(manager.enable()));
afterAll(() => context.disable());

let otel: Otel;
afterEach(() => otel.shutdown());

function instrumented(options: Parameters<typeof setup>[0] = {}) {
  otel = createOtel();
  const seen: AuthEvent[] = [];
  const world = setup({ ...options, onEvent: instrumentAuthEvents({ meter: otel.meter, onEvent: (event) => seen.push(event) }) });
  /** `client.<call>` inside a request span, as a traced HTTP server runs it. */
  const traced = <T>(name: string, call: () => Promise<T>) =>
    otel.tracer.startActiveSpan(name, async (span) => {
      try {
        return await call();
      } finally {
        span.end();
      }
    });
  return { ...world, seen, traced };
}

const sum = async (name: string) => (await otel.points(name)).reduce((total, p) => total + (p.value as number), 0);

describe('instrumentAuthEvents (OpenTelemetry)', () => {
  it('makes exactly one reuse metric and one revocation for a rotated token replayed after the grace window, as an event on that request span', async () => {
    const { client, clock, traced, seen } = instrumented({ graceMs: 5000 });
    const browser = client();
    await traced('POST /auth/login', () => browser.login());
    const parent = browser.refreshToken!;
    await traced('POST /auth/refresh', () => browser.refresh());
    clock.advance(5000);
    const thief: Client = browser.withRefreshToken(parent);
    expect((await traced('POST /auth/refresh (replay)', () => thief.refresh())).status).toBe(401);

    expect(await sum('tokenward.server.reuse_detected')).toBe(1);
    expect(await otel.points('tokenward.server.family_revocations')).toMatchObject([{ attributes: { 'tokenward.revocation.cause': 'reuse' }, value: 1 }]);
    expect([await sum('tokenward.server.logins'), await sum('tokenward.server.rotations')]).toEqual([1, 1]);
    const familyId = seen.find((event) => event.type === 'reuse')!.familyId;
    const replay = otel.spans().find((span) => span.name === 'POST /auth/refresh (replay)')!;
    expect(replay.events.map((event) => [event.name, event.attributes])).toEqual([['tokenward.reuse', { 'tokenward.family.id': familyId }]]);
    // The caller's own onEvent still sees every event.
    expect(seen.map((event) => event.type)).toEqual(['login', 'refresh', 'reuse']);
  });

  it('counts grace answers, rate-limited requests, login failures and invalid grants', async () => {
    const { client, traced } = instrumented({ graceMs: 5000, rateLimit: { login: { burst: 2, perMinute: 1 }, refresh: false, family: false } });
    const browser = client();
    expect((await traced('login', () => browser.login('alice', 'bearer', 'wrong'))).status).toBe(401);
    await traced('login', () => browser.login());
    expect((await traced('login', () => browser.login())).status).toBe(429);
    const parent = browser.refreshToken!;
    await browser.refresh();
    expect((await browser.withRefreshToken(parent).refresh()).status).toBe(200);
    expect((await client().refresh()).status).toBe(401);

    expect(await sum('tokenward.server.login_failures')).toBe(1);
    expect(await otel.points('tokenward.server.rate_limited')).toMatchObject([{ attributes: { 'tokenward.rate_limit.route': 'login', 'tokenward.rate_limit.scope': 'address' }, value: 1 }]);
    expect(await otel.points('tokenward.server.grace_answers')).toMatchObject([{ attributes: { 'tokenward.grace.coalesced': false }, value: 1 }]);
    expect(await otel.points('tokenward.server.invalid_grants')).toMatchObject([{ attributes: { 'tokenward.invalid_grant.reason': 'missing' }, value: 1 }]);
    expect(await sum('tokenward.server.reuse_detected')).toBe(0);
    expect(otel.spans().flatMap((span) => span.events.map((event) => event.name))).toEqual(['tokenward.login_failed', 'tokenward.login', 'tokenward.rate_limited']);
  });

  it('never puts a token in a metric or a span event', async () => {
    const { client, clock, traced } = instrumented({ graceMs: 5000 });
    const browser = client();
    const secrets: string[] = [];
    const login = await traced('login', () => browser.login());
    secrets.push(String((await body(login)).access_token), browser.refreshToken!);
    for (let i = 0; i < 3; i++) {
      const refreshed = await traced('refresh', () => browser.refresh());
      secrets.push(String((await body(refreshed)).access_token), browser.refreshToken!);
    }
    clock.advance(5000);
    await traced('replay', () => browser.withRefreshToken(secrets[1]!).refresh());
    await traced('logout', () => browser.logout());
    const everything = await otel.everything();
    expect(everything).toContain('tokenward.reuse');
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
