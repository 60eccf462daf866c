// JWT strings, valid and hostile (wrong segment counts, bad base64url, non-JSON payloads, alg none,
// exp far past, far future or not a number), through `readJwtTimes`, `signIn`, a refresher and the
// Node token endpoint. The core reads a JWT only to learn when it expires (docs/architecture.md, rule 5), so every
// case ends in exactly that expiry or a typed refusal, never in a crash or a token kept forever.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, isTokenwardError } from '@tokenward/core';
import { readJwtTimes } from '@tokenward/core/internal';
import { createTestClock } from '@tokenward/core/testing';
import { assertConsistent } from './helpers/invariants.js';
import { fuzzClientCredentials } from './helpers/fuzz-client.js';
import { jwt, jwtString } from './helpers/jwt.js';
import { guardProcess, type ProcessGuard } from './helpers/process-guard.js';

const START = Date.UTC(2026, 0, 1);
const YEAR_MS = 366 * 24 * 3600 * 1000;
const finite = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** Expiry from a JWT per docs/architecture.md, rule 5: the server's lifetime (exp - iat) from when the request was sent, else exp. */
function expectedExpiry(claims: Record<string, unknown>, sentAt: number, serverDate?: number): number | undefined {
  const exp = finite(claims.exp);
  const iat = finite(claims.iat);
  if (exp === undefined) return undefined;
  if (iat !== undefined) return sentAt + (exp - iat) * 1000;
  if (serverDate !== undefined) return sentAt + exp * 1000 - serverDate - 1000;
  return exp * 1000;
}
const usable = (expiresAt: number | undefined, sentAt: number): expiresAt is number =>
  expiresAt !== undefined && expiresAt - sentAt >= 1000 && expiresAt - sentAt <= YEAR_MS;

/** Decodable by construction: three segments, a base64url JSON object payload, at most 16 KiB. */
const isWellFormed = (token: string, claims: unknown) => claims !== undefined && token.split('.').length === 3 && token.length <= 16 * 1024;

const paths = new Map<string, number>();
const took = (path: string) => paths.set(path, (paths.get(path) ?? 0) + 1);

let guard: ProcessGuard;
beforeAll(() => void (guard = guardProcess()));
afterAll(() => guard.stop());

describe('readJwtTimes on hostile strings', () => {
  it('returns finite exp/iat as written, or throws ERR_INVALID_JWT without echoing the input', () => {
    fc.assert(
      fc.property(jwtString(START), ({ token, claims }) => {
        let times: { exp?: number; iat?: number } | undefined;
        let thrown: unknown;
        try {
          times = readJwtTimes(token);
        } catch (error) {
          thrown = error;
        }
        if (thrown !== undefined) {
          took('jwt refused');
          expect(isTokenwardError(thrown) && thrown.code).toBe('ERR_INVALID_JWT');
          expect((thrown as Error).cause).toBeUndefined();
          if (token.length >= 12) expect((thrown as Error).message).not.toContain(token.slice(0, 12));
          expect(isWellFormed(token, claims)).toBe(false);
        } else {
          took('jwt read');
          for (const value of [times!.exp, times!.iat]) expect(value === undefined || Number.isFinite(value)).toBe(true);
          if (claims) {
            expect(times!.exp).toBe(finite(claims.exp));
            expect(times!.iat).toBe(finite(claims.iat));
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('JWT access tokens without expires_in', () => {
  it('signIn takes the expiry from exp (and iat or the server Date), or refuses with ERR_INVALID_TOKEN_RESPONSE', () => {
    fc.assert(
      fc.property(jwtString(START), fc.option(fc.integer({ min: START - 86_400_000, max: START + 86_400_000 }), { nil: undefined }), ({ token, claims }, serverDate) => {
        const clock = createTestClock(START);
        const session = createSession({ clock, refresh: () => new Promise(() => {}) });
        let thrown: unknown;
        try {
          session.signIn({ accessToken: token, serverDate });
        } catch (error) {
          thrown = error;
        }
        const snapshot = session.getSnapshot();
        assertConsistent(snapshot, { now: clock.now(), timersCurrent: true });
        const expected = claims && isWellFormed(token, claims) ? expectedExpiry(claims, clock.now(), serverDate) : undefined;
        if (thrown === undefined) {
          took('signIn adopted');
          expect(snapshot.status).toBe('active');
          expect(snapshot.expiresAt! - clock.now()).toBeGreaterThanOrEqual(1000);
          expect(snapshot.expiresAt! - clock.now()).toBeLessThanOrEqual(YEAR_MS);
          if (claims && isWellFormed(token, claims)) expect(snapshot.expiresAt).toBe(expected);
        } else {
          took('signIn refused');
          expect(isTokenwardError(thrown) && thrown.code).toBe('ERR_INVALID_TOKEN_RESPONSE');
          expect(snapshot.status).toBe('unknown');
          if (claims && isWellFormed(token, claims)) expect(usable(expected, clock.now())).toBe(false);
        }
        session.dispose();
      }),
      { numRuns: 1000 },
    );
  });

  it('a refresher returning such a token yields it with that expiry, or a typed error and a retry later', async () => {
    await fc.assert(
      fc.asyncProperty(jwtString(START), async ({ token, claims }) => {
        const clock = createTestClock(START);
        const session = createSession({ clock, refresh: async () => ({ accessToken: token }) });
        const outcome = await session.getAccessToken().then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        const snapshot = session.getSnapshot();
        assertConsistent(snapshot, { now: clock.now(), timersCurrent: true });
        if ('value' in outcome) {
          expect(outcome.value).toBe(token);
          if (claims && isWellFormed(token, claims)) expect(snapshot.expiresAt).toBe(expectedExpiry(claims, START));
        } else {
          expect(isTokenwardError(outcome.error)).toBe(true);
          expect(snapshot.status).toBe('backoff');
        }
        session.dispose();
      }),
      { numRuns: 300 },
    );
  });

  it('alg none is read for its expiry only and the token is sent verbatim (the server verifies, the SDK never does)', async () => {
    const clock = createTestClock(START);
    const token = jwt({ exp: START / 1000 + 300, iat: START / 1000, admin: true }, { alg: 'none' });
    const session = createSession({ clock, refresh: () => new Promise(() => {}) });
    session.signIn({ accessToken: token });
    expect(session.getSnapshot().expiresAt).toBe(START + 300_000);
    expect(await session.getAccessToken()).toBe(token);
  });

  it.each([
    ['exp far in the past', { exp: START / 1000 - 86_400 }],
    ['exp far in the future (year 33658)', { exp: 1e12 }],
    ['exp before iat', { exp: START / 1000, iat: START / 1000 + 60 }],
    ['exp as a numeric string', { exp: String(START / 1000 + 300) }],
    ['exp as an object', { exp: { $date: START + 300_000 } }],
    ['no exp at all', { sub: 'x' }],
  ])('refuses a JWT with %s rather than pinning it', (_, claims) => {
    const session = createSession({ clock: createTestClock(START), refresh: () => new Promise(() => {}) });
    expect(() => session.signIn({ accessToken: jwt(claims) })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TOKEN_RESPONSE' }));
  });

  it('the Node token endpoint answers with a JWT and no expires_in: the session uses exp, or a default, or refuses', async () => {
    await fc.assert(
      fc.asyncProperty(jwtString(START), async ({ token }) => {
        const clock = createTestClock(START);
        const tokens = fuzzClientCredentials(clock, async () => Response.json({ access_token: token, token_type: 'Bearer' }));
        const outcome = await tokens.getAccessToken().then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        );
        if ('value' in outcome) expect(outcome.value).toBe(token);
        else expect(isTokenwardError(outcome.error)).toBe(true);
        assertConsistent(tokens.session().getSnapshot(), { now: clock.now(), timersCurrent: true });
        tokens.dispose();
      }),
      { numRuns: 200 },
    );
  });
});

describe('coverage and escapes', () => {
  it('took both paths', () => {
    for (const path of ['jwt read', 'jwt refused', 'signIn adopted', 'signIn refused']) expect(paths.get(path) ?? 0, path).toBeGreaterThan(20);
  });

  it('saw no unhandled rejection and no uncaught exception', async () => {
    await guard.settle();
    expect(guard.reasons).toEqual([]);
    expect(guard.unhandledRejections + guard.uncaughtExceptions).toBe(0);
  });
});
