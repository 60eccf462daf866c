import { describe, expect, it, vi } from 'vitest';
import { createSession } from '../src/create-session.js';
import { RefreshFailedError, isTokenwardError } from '../src/errors.js';
import { fromOAuthResponse } from '../src/from-oauth-response.js';
import { createTestClock } from '../src/testing.js';
import type { RefreshContext, SessionEventName, SessionEvents, TokenResponse } from '../src/types.js';
import { fakeJwt } from './helpers/jwt.js';

const policy = { leadMs: 10_000, leadFraction: 0, jitterFraction: 0, backoffMs: 1_000, maxBackoffMs: 8_000 };

/** A session whose refresher is scripted per call; every call is recorded. */
function setup(script: (call: number, context: RefreshContext) => Promise<TokenResponse> | TokenResponse, initial?: TokenResponse) {
  const clock = createTestClock();
  const calls: RefreshContext[] = [];
  const session = createSession({
    clock,
    policy,
    random: () => 0.5,
    tokens: initial,
    refresh: async (context) => {
      calls.push(context);
      return script(calls.length, context);
    },
  });
  const events: Array<[SessionEventName, unknown]> = [];
  for (const name of ['signed-in', 'refreshed', 'refresh-failed', 'session-expired', 'signed-out'] as const) {
    session.on(name, (payload: SessionEvents[typeof name]) => events.push([name, payload]));
  }
  return { clock, calls, session, events, count: (name: SessionEventName) => events.filter(([n]) => n === name).length };
}

const ok = (n: number): TokenResponse => ({ accessToken: `token-${n}`, expiresIn: 60 });

describe('createSession', () => {
  it('makes exactly one refresh call for 10,000 concurrent getAccessToken calls on an expired token', async () => {
    const { session, calls, clock } = setup((n) => ok(n), ok(0));
    clock.jump(61_000);
    const tokens = await Promise.all(Array.from({ length: 10_000 }, () => session.getAccessToken()));
    expect(calls).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set(['token-1']));
  });

  it('refreshes before answering after the clock jumped past expiry with no timer fired (a sleeping laptop)', async () => {
    const { session, calls, clock } = setup((n) => ok(n), ok(0));
    clock.jump(3_600_000);
    expect(await session.getAccessToken()).toBe('token-1');
    expect(calls[0]?.reason).toBe('demand');
  });

  it('starts the due refresh from a request when its timer has not fired, and still hands over the held token', async () => {
    let release!: (value: TokenResponse) => void;
    const { session, calls, clock } = setup(() => new Promise((resolve) => (release = resolve)), ok(0));
    // Due at 50 s (expiry minus the lead), valid until 60 s: the timer is late, the clock is not.
    clock.jump(49_999);
    expect(await session.getAccessToken()).toBe('token-0');
    expect(calls).toHaveLength(0);
    clock.jump(1);
    expect(await session.getAccessToken()).toBe('token-0');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.reason).toBe('scheduled');
    // A caller that needs 15 s of validity waits for the new token.
    const waiting = session.getAccessToken({ minValidityMs: 15_000 });
    release(ok(1));
    expect(await waiting).toBe('token-1');
  });

  it('refreshes proactively at expiry minus the lead and keeps serving the old token meanwhile', async () => {
    let release!: (value: TokenResponse) => void;
    const { session, calls, clock } = setup(() => new Promise((resolve) => (release = resolve)), ok(0));
    await clock.advance(50_000);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.reason).toBe('scheduled');
    expect(await session.getAccessToken()).toBe('token-0');
    release(ok(1));
    await clock.flush();
    expect(await session.getAccessToken()).toBe('token-1');
  });

  it.each([
    [{ backoffMs: 0, maxBackoffMs: 0 }, 0],
    [{ backoffMs: 0, maxBackoffMs: 0 }, 0.999],
    [{ backoffMs: 1, maxBackoffMs: 1 }, 0],
    [{ backoffMs: 0 }, 0],
    [{ backoffMs: 0, maxBackoffMs: 60_000 }, 0],
  ])('makes at most a few refresh calls a second against a failing endpoint with policy %j and jitter draws of %d', async (backoff, draw) => {
    const clock = createTestClock();
    let calls = 0;
    const session = createSession({
      clock,
      policy: { ...policy, ...backoff },
      random: () => draw,
      refresh: async () => {
        calls++;
        throw new RefreshFailedError('down', { status: 503 });
      },
    });
    await session.getAccessToken().catch(() => {});
    await clock.advance(10_000);
    // 50 ms floor, doubling to a ceiling of at least 1 s, never under a quarter of it: the worst draw
    // gives 44 calls in 10 s (the first and 43 retries, settling at 4 a second).
    expect(calls).toBeLessThanOrEqual(44);
    expect(calls).toBeGreaterThan(1);
    session.dispose();
  });

  it('keeps the old token on a transient failure and backs off with jitter, honouring Retry-After', async () => {
    const { session, calls, clock, events } = setup((n) => {
      if (n === 1) throw new RefreshFailedError('busy', { status: 503, retryAfterMs: 7_000 });
      if (n === 2) throw new RefreshFailedError('busy', { status: 500 });
      return ok(n);
    }, ok(0));
    await clock.advance(50_000);
    expect(session.getSnapshot()).toMatchObject({ status: 'backoff', retryAt: clock.now() + 7_000 });
    expect(await session.getAccessToken()).toBe('token-0');
    // Repeated callers during backoff start no refresh.
    await Promise.all([session.getAccessToken(), session.getAccessToken()]);
    expect(calls).toHaveLength(1);
    await clock.advance(6_999);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
    // Second failure: full jitter under a 2 s ceiling, rand 0.5 -> 1 s.
    expect(session.getSnapshot().retryAt).toBe(clock.now() + 1_000);
    await clock.advance(1_000);
    expect(await session.getAccessToken()).toBe('token-3');
    expect(events.filter(([n]) => n === 'refresh-failed').map(([, p]) => (p as { terminal: boolean }).terminal)).toEqual([false, false]);
  });

  it('rejects every waiter with ERR_SESSION_EXPIRED and emits session-expired once on a terminal failure', async () => {
    const { session, clock, count, events } = setup(() => {
      throw new RefreshFailedError('refused', { status: 400, oauthError: 'invalid_grant' });
    }, ok(0));
    clock.jump(61_000);
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => session.getAccessToken()));
    expect(results.every((r) => r.status === 'rejected' && isTokenwardError(r.reason) && r.reason.code === 'ERR_SESSION_EXPIRED')).toBe(true);
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
    await clock.flush();
    expect(count('session-expired')).toBe(1);
    expect(events.find(([n]) => n === 'session-expired')?.[1]).toMatchObject({ reason: 'invalid_grant', origin: 'local' });
    expect(session.getSnapshot().status).toBe('expired');
  });

  it('clears every timer and rejects waiters with ERR_DISPOSED on dispose', async () => {
    const { session, clock } = setup(() => new Promise(() => {}), ok(0));
    clock.jump(61_000);
    const waiting = session.getAccessToken();
    session.dispose();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_DISPOSED' });
    expect(clock.pending()).toBe(0);
  });

  it('rejects only the aborted caller with ERR_ABORTED; the shared refresh goes on for the others', async () => {
    let release!: (value: TokenResponse) => void;
    const { session, calls, clock } = setup(() => new Promise((resolve) => (release = resolve)));
    const controller = new AbortController();
    const aborted = session.getAccessToken({ signal: controller.signal });
    const other = session.getAccessToken();
    await clock.flush();
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ERR_ABORTED' });
    expect(calls[0]?.signal.aborted).toBe(false);
    release(ok(1));
    await expect(other).resolves.toBe('token-1');
  });

  it('fails a hanging refresh as transient after the timeout and ignores its late result', async () => {
    let release!: (value: TokenResponse) => void;
    const { session, clock, calls } = setup((n) => (n === 1 ? new Promise((resolve) => (release = resolve)) : ok(n)));
    const first = session.getAccessToken().catch((error: unknown) => error);
    await clock.advance(10_000);
    expect(await first).toMatchObject({ code: 'ERR_REFRESH_FAILED', message: 'Refresh timed out' });
    expect(calls[0]?.signal.aborted).toBe(true);
    release(ok(99));
    await clock.flush();
    expect(session.getSnapshot().status).toBe('backoff');
  });

  it('turns a refresher that throws a non-Error into a typed transient failure', async () => {
    const { session } = setup(() => {
      throw 'nope';
    });
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_REFRESH_FAILED', cause: 'nope' });
    expect(session.getSnapshot().status).toBe('backoff');
  });

  it('treats an unusable token response as a transient failure and leaves the session consistent', async () => {
    const { session } = setup(() => ({ accessToken: 'opaque', expiresIn: -5 }) as TokenResponse, ok(0));
    await expect(session.refresh()).rejects.toMatchObject({ code: 'ERR_INVALID_TOKEN_RESPONSE' });
    expect(session.getSnapshot().status).toBe('backoff');
    expect(await session.getAccessToken()).toBe('token-0');
  });

  it('computes expiry from expires_in relative to when the request was sent', async () => {
    let release!: (value: TokenResponse) => void;
    const { session, clock } = setup(() => new Promise((resolve) => (release = resolve)));
    const sentAt = clock.now();
    const pending = session.getAccessToken();
    await clock.advance(3_000);
    release({ accessToken: 'a', expiresIn: 60 });
    await pending;
    expect(session.getSnapshot().expiresAt).toBe(sentAt + 60_000);
  });

  it('uses a JWT exp only without expires_in, measured by the server clock (iat)', async () => {
    const { session, clock } = setup(() => ({ accessToken: fakeJwt({ iat: 5_000, exp: 5_300 }) }));
    const sentAt = clock.now();
    await session.getAccessToken();
    expect(session.getSnapshot().expiresAt).toBe(sentAt + 300_000);
  });

  it('calls listeners asynchronously and survives a throwing one', async () => {
    const onListenerError = vi.fn();
    const clock = createTestClock();
    const session = createSession({ clock, refresh: async () => ok(1), onListenerError });
    const seen: string[] = [];
    session.on('signed-in', () => {
      throw new Error('listener bug');
    });
    session.on('signed-in', () => seen.push('second'));
    session.signIn(ok(0));
    expect(seen).toEqual([]);
    await clock.flush();
    expect(seen).toEqual(['second']);
    expect(onListenerError).toHaveBeenCalledOnce();
    expect(await session.getAccessToken()).toBe('token-0');
  });

  it('lets a listener call the session without deadlock', async () => {
    const { session, clock } = setup((n) => ok(n));
    const inside: string[] = [];
    session.on('refreshed', () => void session.getAccessToken().then((t) => inside.push(t)));
    await session.getAccessToken();
    await clock.flush();
    expect(inside).toEqual(['token-1']);
  });

  it('signs out: waiters rejected, later calls ERR_NOT_SIGNED_IN, no timer left', async () => {
    const { session, clock, count } = setup(() => new Promise(() => {}), ok(0));
    clock.jump(61_000);
    const waiting = session.getAccessToken();
    session.signOut();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    await clock.flush();
    expect(count('signed-out')).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('ignores a refresh result that arrives after sign-out', async () => {
    let release!: (value: TokenResponse) => void;
    const { session, clock } = setup(() => new Promise((resolve) => (release = resolve)), ok(0));
    void session.refresh().catch(() => {});
    await clock.flush();
    session.signOut();
    release(ok(1));
    await clock.flush();
    expect(session.getSnapshot().status).toBe('anonymous');
  });

  it('refuses bad sign-in input with a typed error that carries no token', () => {
    const { session } = setup(() => ok(1));
    const secret = 'sentinel-secret-token';
    let error: unknown;
    try {
      session.signIn({ accessToken: secret });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ERR_INVALID_TOKEN_RESPONSE' });
    expect(String((error as Error).stack) + JSON.stringify(error)).not.toContain(secret);
    expect(session.getSnapshot().status).toBe('unknown');
  });

  it('ends the session after one call when the refresher returns a raw OAuth body, and says to use fromOAuthResponse', async () => {
    const { session, calls, clock, events } = setup(() => ({ access_token: 'raw-oauth-token', token_type: 'Bearer', expires_in: 300 }) as unknown as TokenResponse, ok(0));
    await session.refresh().catch(() => {});
    expect(session.getSnapshot().status).toBe('expired');
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_SESSION_EXPIRED' });
    const cause = (events.find(([name]) => name === 'session-expired')![1] as { error: Error }).error;
    expect(cause).toMatchObject({ code: 'ERR_INVALID_TOKEN_RESPONSE', message: expect.stringContaining('fromOAuthResponse(body)') });
    expect(`${cause.message} ${JSON.stringify(cause)}`).not.toContain('raw-oauth-token');
    await clock.advance(600_000);
    expect(calls).toHaveLength(1);
  });

  it('reads a raw OAuth body through fromOAuthResponse', async () => {
    const { session } = setup(() => fromOAuthResponse({ access_token: 'from-oauth', token_type: 'bearer', expires_in: '300', refresh_token: 'r', scope: 'a b' }));
    expect(await session.getTokenSet()).toMatchObject({ accessToken: 'from-oauth', tokenType: 'bearer', refreshToken: 'r', scope: 'a b' });
    expect(() => fromOAuthResponse('access_token=x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_TOKEN_RESPONSE' }));
  });

  it('refuses a missing refresher and a bad policy with ERR_CONFIG', () => {
    expect(() => createSession({} as never)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => createSession({ refresh: async () => ok(1), policy: { leadMs: -1 } })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});

describe('a page with no session', () => {
  it('rejects the first call and every later one with the same ERR_NOT_SIGNED_IN when the boot refresh is refused', async () => {
    const { session, calls } = setup(() => {
      throw new RefreshFailedError('no cookie', { status: 401, oauthError: 'invalid_grant' });
    });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push(await session.getAccessToken().catch((e: { code: string }) => e.code));
    expect(codes).toEqual(['ERR_NOT_SIGNED_IN', 'ERR_NOT_SIGNED_IN', 'ERR_NOT_SIGNED_IN']);
    expect(calls).toHaveLength(1);
    expect(session.getSnapshot().status).toBe('anonymous');
  });

  it('starts signed out without a request when told no session exists, and still refreshes when asked', async () => {
    const clock = createTestClock();
    let calls = 0;
    const session = createSession({ clock, anonymous: true, refresh: async () => (calls++, ok(1)) });
    expect(session.getSnapshot().status).toBe('anonymous');
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'ERR_NOT_SIGNED_IN' });
    await clock.advance(60_000);
    expect(calls).toBe(0);
    expect(await session.refresh()).toBe('token-1');
    expect(calls).toBe(1);
    session.dispose();
  });
});
