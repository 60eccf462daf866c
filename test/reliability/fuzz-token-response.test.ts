// Hostile token responses through every door they come in by: `signIn`, a refresher's result, the
// browser's refresh transport (an HTTP body) and the Node token endpoint (an OAuth JSON answer).
// Each case ends in the token it carried, with the expiry docs/architecture.md (rule 5) gives, or in a typed error
// that leaves the session as it was; the session stays consistent and nothing escapes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, isTokenwardError, type TokenResponse } from '@tokenward/core';
import { createTestClock } from '@tokenward/core/testing';
import { createRefreshTransport, readTokenResponse } from '@tokenward/browser';
import { MEGABYTE, anything, bodyText, tokenBody, tokenResponse } from './helpers/arbitraries.js';
import { fuzzClientCredentials } from './helpers/fuzz-client.js';
import { assertConsistent, MAX_RETRY_AFTER_MS } from './helpers/invariants.js';
import { guardProcess, type ProcessGuard } from './helpers/process-guard.js';

const YEAR_MS = 366 * 24 * 3600 * 1000;
/** A token living under a second would be refreshed in a loop: the core refuses it (030de8c). */
const MIN_LIFETIME_MS = 1000;
const RUNS = { numRuns: 300 };
/** How often each property took each path: a property that never reaches one proves nothing about it. */
const paths = new Map<string, number>();
const took = (path: string) => paths.set(path, (paths.get(path) ?? 0) + 1);

let guard: ProcessGuard;
beforeAll(() => void (guard = guardProcess()));
afterAll(async () => {
  await guard.settle();
  guard.stop();
  expect(guard.reasons).toEqual([]);
  expect({ unhandledRejections: guard.unhandledRejections, uncaughtExceptions: guard.uncaughtExceptions }).toEqual({ unhandledRejections: 0, uncaughtExceptions: 0 });
});

/** A token field the core must refuse: present, but not a non-empty string of at most 64 KiB. */
const badToken = (value: unknown) => value !== undefined && !(typeof value === 'string' && value !== '' && value.length <= 64 * 1024);

/** The expiry docs/architecture.md (rule 5) gives when it comes from `expiresAt` or `expires_in` (the JWT path is fuzzed in fuzz-jwt). */
function statedExpiry(response: Record<string, unknown>, sentAt: number): number | undefined {
  const { expiresAt, expiresIn } = response;
  if (typeof expiresAt === 'number' && Number.isFinite(expiresAt)) return expiresAt;
  const seconds = typeof expiresIn === 'string' ? Number(expiresIn) : expiresIn;
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0) return sentAt + seconds * 1000;
  return undefined;
}

/** Token values that must never travel in an error: any token-ish string of the response. */
function secretsOf(response: Record<string, unknown>): string[] {
  return [response.accessToken, response.refreshToken, response.access_token, response.refresh_token].filter(
    (value): value is string => typeof value === 'string' && value.length >= 8,
  );
}

function expectNoSecret(error: unknown, secrets: string[]): void {
  const text = `${String((error as Error).message)} ${String((error as Error).stack)} ${JSON.stringify(error)}`;
  for (const secret of secrets) expect(text.includes(secret.slice(0, 64))).toBe(false);
}

describe('token responses through signIn', () => {
  it('adopts the token with the stated expiry, or throws ERR_INVALID_TOKEN_RESPONSE and changes nothing', () => {
    fc.assert(
      fc.property(tokenResponse, fc.boolean(), (response, signedInBefore) => {
        const clock = createTestClock();
        const session = createSession({ clock, refresh: () => new Promise(() => {}) });
        if (signedInBefore) session.signIn({ accessToken: 'previous-token', expiresIn: 60 });
        const before = session.getSnapshot();
        let thrown: unknown;
        try {
          session.signIn(response as TokenResponse);
        } catch (error) {
          thrown = error;
        }
        const after = session.getSnapshot();
        assertConsistent(after, { now: clock.now(), timersCurrent: true });
        const stated = statedExpiry(response, clock.now());
        took(`signIn ${thrown === undefined ? 'adopted' : 'refused'}`);
        if (thrown !== undefined) {
          expect(isTokenwardError(thrown) && thrown.code).toBe('ERR_INVALID_TOKEN_RESPONSE');
          expect(after).toEqual(before);
          expectNoSecret(thrown, secretsOf(response));
        } else {
          expect(badToken(response.accessToken) || badToken(response.refreshToken)).toBe(false);
          expect(after.status).toBe('active');
          expect(after.expiresAt! - clock.now()).toBeGreaterThanOrEqual(MIN_LIFETIME_MS);
          expect(after.expiresAt! - clock.now()).toBeLessThanOrEqual(YEAR_MS);
          if (stated !== undefined) expect(after.expiresAt).toBe(stated);
        }
        // The cases that must be refused are refused.
        if (badToken(response.accessToken) || badToken(response.refreshToken)) expect(thrown).toBeDefined();
        if (stated !== undefined && !(stated - clock.now() >= MIN_LIFETIME_MS && stated - clock.now() <= YEAR_MS)) expect(thrown).toBeDefined();
        session.dispose();
      }),
      RUNS,
    );
  });

  it('hands out exactly the access token it adopted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\w.~+/-]{1,200}$/), fc.double({ min: 1, max: 366 * 86_400, noNaN: true }), async (accessToken, expiresIn) => {
        const clock = createTestClock();
        const session = createSession({ clock, refresh: () => new Promise(() => {}) });
        session.signIn({ accessToken, expiresIn });
        expect(session.getSnapshot().expiresAt).toBe(clock.now() + expiresIn * 1000);
        expect(await session.getAccessToken()).toBe(accessToken);
        session.dispose();
      }),
      RUNS,
    );
  });

  it('refuses a megabyte access token without copying it into the error', () => {
    const session = createSession({ refresh: () => new Promise(() => {}) });
    expect(() => session.signIn({ accessToken: MEGABYTE, expiresIn: 60 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TOKEN_RESPONSE' }));
    try {
      session.signIn({ accessToken: MEGABYTE, expiresIn: 60 });
    } catch (error) {
      expect(String((error as Error).message).length).toBeLessThan(200);
    }
    expect(session.getSnapshot().status).toBe('unknown');
  });
});

describe('token responses through a refresher', () => {
  it('resolves getAccessToken with the token the refresher returned, or rejects with a typed error and backs off', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(tokenResponse, anything), async (response) => {
        const clock = createTestClock();
        let calls = 0;
        const session = createSession({ clock, refresh: async () => (calls++, response as TokenResponse) });
        const outcome = await session.getAccessToken().then(
          (token) => ({ token }),
          (error: unknown) => ({ error }),
        );
        const snapshot = session.getSnapshot();
        assertConsistent(snapshot, { now: clock.now(), timersCurrent: true });
        expect(calls).toBe(1);
        took(`refresher ${'token' in outcome ? 'adopted' : 'refused'}`);
        if ('token' in outcome) {
          const record = response as Record<string, unknown>;
          expect(outcome.token).toBe((record.accessToken as string | undefined) ?? '');
          expect(snapshot.status).toBe('active');
          const stated = statedExpiry(record, clock.now());
          if (stated !== undefined) expect(snapshot.expiresAt).toBe(stated);
        } else {
          expect(isTokenwardError(outcome.error)).toBe(true);
          // Junk is a transient failure: the session retries later, it does not give up.
          expect(snapshot.status).toBe('backoff');
          if (typeof response === 'object' && response !== null) expectNoSecret(outcome.error, secretsOf(response as Record<string, unknown>));
        }
        session.dispose();
      }),
      RUNS,
    );
  });
});

/** A Response the Fetch API accepts, from fuzzed parts. */
function responseOf(status: number, body: string, headers: Record<string, string>): Response {
  return new Response(status === 204 || status === 205 || status === 304 ? null : body, { status, headers });
}

const statusCode = fc.oneof(
  { weight: 3, arbitrary: fc.constant(200) },
  { weight: 2, arbitrary: fc.constantFrom(201, 204, 400, 401, 403, 404, 429, 500, 502, 503, 504) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 599 }) },
);


describe('token responses through the browser refresh transport', () => {
  it('reads a token the core accepts, or throws RefreshFailedError / InvalidTokenResponseError holding none of the body', async () => {
    await fc.assert(
      fc.asyncProperty(statusCode, bodyText, fc.constantFrom<'bearer' | 'cookie'>('bearer', 'cookie'), async (status, body, mode) => {
        const outcome = await readTokenResponse(responseOf(status, body, { 'content-type': 'application/json' }), mode).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        took(`transport ${'value' in outcome ? 'read' : 'refused'}`);
        if ('value' in outcome) {
          expect(status).toBeGreaterThanOrEqual(200);
          expect(status).toBeLessThan(300);
          // Cookie mode never keeps an access token in script memory.
          if (mode === 'cookie') expect(outcome.value.accessToken).toBeUndefined();
          // What the transport reads, the core adopts, or refuses with a typed error (a lifetime under 1 s).
          const session = createSession({ refresh: () => new Promise(() => {}) });
          try {
            session.signIn(outcome.value);
          } catch (error) {
            expect(isTokenwardError(error) && error.code).toBe('ERR_INVALID_TOKEN_RESPONSE');
          }
          session.dispose();
        } else {
          const error = outcome.error as { code?: string; message: string; retryAfterMs?: number };
          expect(['ERR_REFRESH_FAILED', 'ERR_INVALID_TOKEN_RESPONSE']).toContain(error.code);
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            parsed = undefined;
          }
          const secrets = typeof parsed === 'object' && parsed !== null ? secretsOf(parsed as Record<string, unknown>) : [];
          expectNoSecret(error, secrets);
          if (error.retryAfterMs !== undefined) expect(error.retryAfterMs).toBeGreaterThanOrEqual(0);
        }
      }),
      RUNS,
    );
  });

  it('drives a session to the token or to a typed error over any answer, without a refresh per caller', async () => {
    await fc.assert(
      fc.asyncProperty(statusCode, bodyText, async (status, body) => {
        let requests = 0;
        const fetch: typeof globalThis.fetch = async () => (requests++, responseOf(status, body, { 'content-type': 'application/json' }));
        const clock = createTestClock();
        const session = createSession({ clock, refresh: createRefreshTransport({ url: 'http://127.0.0.1/auth/refresh', fetch }) });
        const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => session.getAccessToken()));
        expect(requests).toBe(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') expect(isTokenwardError(outcome.reason)).toBe(true);
          else expect(typeof outcome.value).toBe('string');
        }
        const snapshot = session.getSnapshot();
        assertConsistent(snapshot, { now: clock.now(), timersCurrent: true });
        if (snapshot.retryAt !== undefined) expect(snapshot.retryAt - clock.now()).toBeLessThanOrEqual(MAX_RETRY_AFTER_MS);
        session.dispose();
      }),
      { numRuns: 200 },
    );
  });
});

describe('token responses through the Node token endpoint (client credentials)', () => {
  it('resolves with the access_token the server sent, or rejects with a typed RefreshFailedError', async () => {
    await fc.assert(
      fc.asyncProperty(statusCode, fc.oneof(tokenBody.map((b) => JSON.stringify(b)), bodyText), async (status, body) => {
        const clock = createTestClock();
        const tokens = fuzzClientCredentials(clock, async () => responseOf(status, body, { 'content-type': 'application/json' }));
        const outcome = await tokens.getAccessToken().then(
          (token) => ({ token }),
          (error: unknown) => ({ error }),
        );
        took(`node ${'token' in outcome ? 'adopted' : 'refused'}`);
        if ('token' in outcome) {
          const parsed = JSON.parse(body) as Record<string, unknown>;
          expect(outcome.token).toBe(parsed.access_token);
        } else {
          expect(isTokenwardError(outcome.error)).toBe(true);
        }
        const snapshot = tokens.session().getSnapshot();
        assertConsistent(snapshot, { now: clock.now(), timersCurrent: true });
        tokens.dispose();
      }),
      { numRuns: 200 },
    );
  });
});

describe('coverage and escapes', () => {
  it('took both the accepting and the refusing path of every door', () => {
    for (const door of ['signIn adopted', 'signIn refused', 'refresher adopted', 'refresher refused', 'transport read', 'transport refused', 'node adopted', 'node refused']) {
      expect(paths.get(door) ?? 0, door).toBeGreaterThan(5);
    }
  });

  it('saw no unhandled rejection and no uncaught exception', async () => {
    await guard.settle();
    expect(guard.unhandledRejections + guard.uncaughtExceptions).toBe(0);
  });
});
