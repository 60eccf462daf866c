// Hostile `Retry-After` and `WWW-Authenticate` headers through the code that reads them: the browser
// refresh transport (Retry-After), the Node token endpoint (both, through oauth4webapi) and the fetch
// wrapper (a 401 with any challenge). Every case ends in a typed error or the right response; a
// Retry-After is honoured (never retried sooner) up to 15 minutes and never parks a session for good.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthFetch, createSession, isTokenwardError, type RefreshFailedError } from '@tokenward/core';
import { createTestClock } from '@tokenward/core/testing';
import { createRefreshTransport, readTokenResponse } from '@tokenward/browser';
import { retryAfterValue, wwwAuthenticateValue } from './helpers/arbitraries.js';
import { fuzzClientCredentials } from './helpers/fuzz-client.js';
import { assertConsistent, MAX_RETRY_AFTER_MS } from './helpers/invariants.js';
import { guardProcess, type ProcessGuard } from './helpers/process-guard.js';

const START = Date.UTC(2026, 0, 1);
const httpDate = fc.option(fc.integer({ min: -1e12, max: 1e12 }).map((ms) => new Date(START + ms).toUTCString()), { nil: undefined });
/** What a delay-seconds Retry-After asks for, capped like the core caps it; undefined for other forms. */
const seconds = (value: string) => (/^\s*\d+\s*$/.test(value) ? Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS) : undefined);

let guard: ProcessGuard;
beforeAll(() => void (guard = guardProcess()));
afterAll(() => guard.stop());

describe('Retry-After', () => {
  it('the browser transport reads it as a delay >= 0 or not at all, exactly for delay-seconds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(429, 500, 502, 503, 504), retryAfterValue, httpDate, async (status, retryAfter, date) => {
        const headers: Record<string, string> = { 'retry-after': retryAfter };
        if (date) headers.date = date;
        const error = (await readTokenResponse(new Response('{"error":"temporarily_unavailable"}', { status, headers })).then(
          () => expect.unreachable(),
          (e: unknown) => e,
        )) as RefreshFailedError;
        expect(error.code).toBe('ERR_REFRESH_FAILED');
        expect(error.status).toBe(status);
        if (error.retryAfterMs !== undefined) expect(error.retryAfterMs).toBeGreaterThanOrEqual(0);
        // Exact for delay-seconds; the core caps what it honours (next property).
        if (/^\s*\d+\s*$/.test(retryAfter)) expect(error.retryAfterMs).toBe(Number(retryAfter) * 1000);
      }),
      { numRuns: 500 },
    );
  });

  it('through the browser transport into a session: waits at least what was asked (up to 15 min), then recovers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(429, 503), retryAfterValue, httpDate, async (status, retryAfter, date) => {
        const clock = createTestClock(START);
        let calls = 0;
        const fetch: typeof globalThis.fetch = async () => {
          if (calls++ > 0) return Response.json({ access_token: `token-${calls}`, token_type: 'Bearer', expires_in: 3600 });
          const headers: Record<string, string> = { 'retry-after': retryAfter };
          if (date) headers.date = date;
          return new Response('{"error":"temporarily_unavailable"}', { status, headers });
        };
        const session = createSession({ clock, random: () => 0, refresh: createRefreshTransport({ url: 'http://127.0.0.1:9/auth/refresh', fetch }) });
        await session.getAccessToken().catch(() => {});
        const snapshot = session.getSnapshot();
        assertConsistent(snapshot, { now: clock.now(), timersCurrent: true });
        const wait = snapshot.retryAt! - clock.now();
        if (/^\s*\d+\s*$/.test(retryAfter)) expect(wait).toBeGreaterThanOrEqual(Math.min(Number(retryAfter) * 1000, MAX_RETRY_AFTER_MS));
        expect(wait).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
        await clock.advance(wait + 1);
        expect(await session.getAccessToken()).toBe('token-2');
        session.dispose();
      }),
      { numRuns: 200 },
    );
  });

  it('the Node token endpoint: the session waits at least what was asked (up to 15 min), then recovers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(429, 503), retryAfterValue, httpDate, async (status, retryAfter, date) => {
        const clock = createTestClock(START);
        let calls = 0;
        const tokens = fuzzClientCredentials(
          clock,
          async () => {
            if (calls++ > 0) return Response.json({ access_token: `token-${calls}`, token_type: 'Bearer', expires_in: 3600 });
            const headers: Record<string, string> = { 'retry-after': retryAfter, 'content-type': 'application/json' };
            if (date) headers.date = date;
            return new Response(JSON.stringify({ error: status === 429 ? 'slow_down' : 'temporarily_unavailable' }), { status, headers });
          },
          { random: () => 0 },
        );
        const first = await tokens.getAccessToken().catch((e: unknown) => e);
        expect(isTokenwardError(first) && first.code).toBe('ERR_REFRESH_FAILED');
        const snapshot = tokens.session().getSnapshot();
        assertConsistent(snapshot, { now: clock.now(), timersCurrent: true });
        expect(snapshot.status).toBe('backoff');
        const wait = snapshot.retryAt! - clock.now();
        // Never sooner than a delay-seconds value asked (capped at 15 min), never later than 15 min.
        const asked = seconds(retryAfter);
        if (asked !== undefined) expect(wait).toBeGreaterThanOrEqual(asked);
        expect(wait).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
        // Callers during the wait fail fast: no request per call.
        await tokens.getAccessToken().catch(() => {});
        expect(calls).toBe(1);
        await clock.advance(wait + 1);
        expect(await tokens.getAccessToken()).toBe('token-2');
        tokens.dispose();
      }),
      { numRuns: 200 },
    );
  });
});

describe('WWW-Authenticate', () => {
  it('the fetch wrapper answers any 401 challenge with one refresh and one retry when it refuses the token, none when it blames the request', async () => {
    await fc.assert(
      fc.asyncProperty(wwwAuthenticateValue, fc.constantFrom('ok', 'still-401', 'refresh-fails'), fc.constantFrom('GET', 'POST'), async (challenge, after, method) => {
        let refreshes = 0;
        const session = createSession({
          tokens: { accessToken: 'token-1', expiresIn: 300 },
          refresh: async () => {
            refreshes++;
            if (after === 'refresh-fails') throw Object.assign(new Error('down'), { status: 503 });
            return { accessToken: `token-${refreshes + 1}`, expiresIn: 300 };
          },
        });
        const seen: string[] = [];
        const authFetch = createAuthFetch(session, {
          origins: ['https://api.example'],
          fetch: async (_input, init) => {
            const authorization = new Headers(init?.headers).get('authorization') ?? '';
            seen.push(authorization);
            const fresh = authorization === 'Bearer token-2' && after === 'ok';
            return fresh ? new Response('ok') : new Response('no', { status: 401, headers: { 'www-authenticate': challenge } });
          },
        });
        const response = await authFetch('https://api.example/data', { method, body: method === 'POST' ? 'payload' : undefined });
        expect(seen[0]).toBe('Bearer token-1');
        // RFC 6750 §3.1: an `error` other than invalid_token says the request is wrong, not the token.
        const blamesRequest = [...challenge.matchAll(/\berror="?([^\s",;]*)/gi)].some((match) => match[1] !== 'invalid_token');
        expect(refreshes).toBe(blamesRequest ? 0 : 1);
        if (blamesRequest) {
          expect(response.status).toBe(401);
          expect(seen).toEqual(['Bearer token-1']);
        } else if (after === 'refresh-fails') {
          // The server's own answer comes back: the caller sees the 401, not a thrown error.
          expect(response.status).toBe(401);
          expect(seen).toHaveLength(1);
        } else {
          expect(seen).toEqual(['Bearer token-1', 'Bearer token-2']);
          expect(response.status).toBe(after === 'ok' ? 200 : 401);
        }
        assertConsistent(session.getSnapshot(), { now: Date.now() });
        session.dispose();
      }),
      { numRuns: 300 },
    );
  });

  it('the Node token endpoint turns any 401 challenge into a typed RefreshFailedError with a short message', async () => {
    await fc.assert(
      fc.asyncProperty(wwwAuthenticateValue, fc.constantFrom(400, 401), async (challenge, status) => {
        const clock = createTestClock(START);
        const tokens = fuzzClientCredentials(clock, async () => new Response(JSON.stringify({ error: 'invalid_client' }), { status, headers: { 'www-authenticate': challenge, 'content-type': 'application/json' } }));
        const error = (await tokens.getAccessToken().catch((e: unknown) => e)) as RefreshFailedError;
        expect(isTokenwardError(error) && error.code).toBe('ERR_REFRESH_FAILED');
        expect(['transient', 'terminal']).toContain(error.kind);
        expect(error.status).toBe(status);
        // No error_description enters the message: a megabyte challenge does not become a megabyte message.
        expect(error.message.length).toBeLessThan(400);
        assertConsistent(tokens.session().getSnapshot(), { now: clock.now(), timersCurrent: true });
        tokens.dispose();
      }),
      { numRuns: 300 },
    );
  });
});

describe('escapes', () => {
  it('saw no unhandled rejection and no uncaught exception', async () => {
    await guard.settle();
    expect(guard.reasons).toEqual([]);
    expect(guard.unhandledRejections + guard.uncaughtExceptions).toBe(0);
  });
});
