// Refreshers that misbehave (throw anything, throw synchronously, hang, hang until aborted, resolve
// after abort or dispose, settle twice, return a non-promise, fail with hostile Retry-After values)
// under random sequences of callers, sign-ins, sign-outs, 401s, sleeps, connectivity changes and
// dispose, on a test clock. After every step the session is consistent; every caller's promise
// settles, with a token that was really issued or a typed error; at most one refresh is in flight;
// a session whose refresher recovers serves tokens again; nothing escapes.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, isTokenwardError, RefreshFailedError, type Lifecycle, type LifecycleSignal, type RefreshContext, type RefreshPolicy, type SessionEventName, type TokenResponse } from '@tokenward/core';
import { createTestClock, type TestClock } from '@tokenward/core/testing';
import { anything, hostileNumber } from './helpers/arbitraries.js';
import { MAX_RETRY_AFTER_MS, snapshotViolations } from './helpers/invariants.js';
import { guardProcess, type ProcessGuard } from './helpers/process-guard.js';
import { seededRandom } from './helpers/random.js';

const POLICY: Partial<RefreshPolicy> = { timeoutMs: 5_000, backoffMs: 500, maxBackoffMs: 20_000 };
const EVENTS: SessionEventName[] = ['signed-in', 'refreshed', 'refresh-failed', 'session-expired', 'signed-out', 'status'];

let serial = 0;
const validToken = fc.record({
  accessToken: fc.constant('').map(() => `tok-${++serial}`),
  expiresIn: fc.integer({ min: 2, max: 3_600 }),
  tokenType: fc.constantFrom('Bearer', 'DPoP', undefined),
});

/** What one refresher call does. */
const behaviour = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('resolve' as const), response: validToken, delayMs: fc.nat(3_000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('resolve-junk' as const), response: anything, delayMs: fc.nat(1_000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reject' as const), value: anything, delayMs: fc.nat(1_000) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fail' as const),
      status: fc.constantFrom(400, 401, 403, 429, 500, 502, 503, undefined),
      oauthError: fc.constantFrom('invalid_grant', 'temporarily_unavailable', 'slow_down', undefined),
      retryAfterMs: fc.oneof(fc.constant(undefined), fc.nat(120_000), hostileNumber),
      delayMs: fc.nat(1_000),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('throw-sync' as const), value: anything }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hang' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hang-until-abort' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('resolve-after-abort' as const), response: validToken }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('settle-twice' as const), response: validToken, value: anything }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('non-promise' as const), response: validToken }) },
);
type Behaviour = typeof behaviour extends fc.Arbitrary<infer B> ? B : never;

const command = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('get' as const), minValidityMs: fc.oneof(fc.constant(0), fc.nat(120_000), hostileNumber), abortAfterMs: fc.option(fc.nat(10_000), { nil: undefined }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('refresh' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('sign-in' as const), response: fc.oneof({ weight: 4, arbitrary: validToken }, { weight: 1, arbitrary: anything }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('sign-out' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('invalidate' as const), which: fc.constantFrom('current', 'stale', 'junk') }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.nat(30_000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('jump' as const), ms: fc.nat(7_200_000) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('online' as const), online: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('wake' as const) }) },
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

interface Call {
  settled: boolean;
  value?: string;
  error?: unknown;
  op: string;
}

/** A page lifecycle the test drives. */
function fakeLifecycle() {
  let listener: ((signal: LifecycleSignal) => void) | undefined;
  let online = true;
  const lifecycle: Lifecycle = {
    subscribe: (l) => ((listener = l), () => void (listener = undefined)),
    isOnline: () => online,
  };
  return {
    lifecycle,
    get online() {
      return online;
    },
    signal(signal: LifecycleSignal) {
      if (signal !== 'wake') online = signal === 'online';
      listener?.(signal);
    },
  };
}

/** Runs one refresher behaviour; delays run on the test clock. */
function perform(b: Behaviour, ctx: RefreshContext, clock: TestClock): Promise<TokenResponse> | TokenResponse {
  const later = <T>(ms: number, fn: () => T) => new Promise<T>((resolve, reject) => clock.setTimeout(() => {
    try {
      resolve(fn());
    } catch (error) {
      reject(error);
    }
  }, ms));
  switch (b.kind) {
    case 'resolve':
      return later(b.delayMs, () => b.response as TokenResponse);
    case 'resolve-junk':
      return later(b.delayMs, () => b.response as TokenResponse);
    case 'reject':
      return later(b.delayMs, () => {
        throw b.value;
      });
    case 'fail':
      return later(b.delayMs, () => {
        throw new RefreshFailedError('refused', { status: b.status, oauthError: b.oauthError, retryAfterMs: b.retryAfterMs });
      });
    case 'throw-sync':
      throw b.value;
    case 'hang':
      return new Promise(() => {});
    case 'hang-until-abort':
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    case 'resolve-after-abort':
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(b.response as TokenResponse)));
    case 'settle-twice':
      return {
        then(resolve: (value: TokenResponse) => void, reject: (reason: unknown) => void) {
          resolve(b.response as TokenResponse);
          resolve({ accessToken: 'second-resolution', expiresIn: 60 });
          reject(b.value);
        },
      } as unknown as Promise<TokenResponse>;
    case 'non-promise':
      return b.response as TokenResponse;
  }
}

let guard: ProcessGuard;
beforeAll(() => void (guard = guardProcess()));
afterAll(() => guard.stop());

describe('a session under misbehaving refreshers', () => {
  it('stays consistent, settles every caller with an issued token or a typed error, and recovers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(behaviour, { minLength: 1, maxLength: 12 }),
        fc.array(command, { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        fc.integer(),
        async (script, commands, startSignedIn, seed) => {
          const clock = createTestClock();
          const env = fakeLifecycle();
          const issued = new Set<string>(['']);
          const violations: string[] = [];
          const calls: Call[] = [];
          const refresherCalls: Array<{ signal: AbortSignal; settled: boolean }> = [];
          const events: Array<{ name: SessionEventName; payload: unknown }> = [];
          let listenerErrors = 0;
          let healthy = false;
          let next = 0;

          const session = createSession({
            clock,
            policy: POLICY,
            lifecycle: env.lifecycle,
            random: seededRandom(seed),
            onListenerError: () => void listenerErrors++,
            refresh(ctx) {
              // Rule 1: a new refresh starts only once every earlier one settled or was aborted.
              if (refresherCalls.some((c) => !c.settled && !c.signal.aborted)) violations.push('two refreshes in flight');
              const call = { signal: ctx.signal, settled: false };
              refresherCalls.push(call);
              const b: Behaviour = healthy ? { kind: 'resolve', response: { accessToken: `healthy-${++serial}`, expiresIn: 300, tokenType: 'Bearer' }, delayMs: 10 } : script[next++ % script.length]!;
              if ('response' in b && typeof (b.response as TokenResponse | null)?.accessToken === 'string') issued.add((b.response as TokenResponse).accessToken!);
              let result: Promise<TokenResponse> | TokenResponse;
              try {
                result = perform(b, ctx, clock);
              } catch (error) {
                call.settled = true;
                throw error;
              }
              if (typeof (result as Promise<unknown>)?.then === 'function') {
                (result as Promise<unknown>).then(() => void (call.settled = true), () => void (call.settled = true));
              } else call.settled = true;
              return result as Promise<TokenResponse>;
            },
          });
          for (const name of EVENTS) session.on(name, (payload) => void events.push({ name, payload }));
          // Rule 7: a throwing listener breaks nothing; it is reported once per event.
          session.on('status', () => {
            throw new Error('listener bug');
          });

          const track = (op: string, promise: Promise<string>) => {
            const call: Call = { settled: false, op };
            calls.push(call);
            promise.then(
              (value) => {
                lastSeen = value;
                Object.assign(call, { settled: true, value });
              },
              (error: unknown) => Object.assign(call, { settled: true, error }),
            );
          };

          let jumped = false;
          let lastSeen = 'initial';
          const check = (where: string) => {
            const snapshot = session.getSnapshot();
            const found = snapshotViolations(snapshot, { now: clock.now(), policy: POLICY, timersCurrent: env.online && !jumped });
            if (found.length) violations.push(`${where}: ${found.join('; ')}`);
          };

          if (startSignedIn) {
            session.signIn({ accessToken: 'initial', expiresIn: 60 });
            issued.add('initial');
          }
          for (const [i, cmd] of (commands as Command[]).entries()) {
            switch (cmd.op) {
              case 'get': {
                const controller = new AbortController();
                if (cmd.abortAfterMs !== undefined) clock.setTimeout(() => controller.abort(), cmd.abortAfterMs);
                track('get', session.getAccessToken({ minValidityMs: cmd.minValidityMs, signal: controller.signal }));
                break;
              }
              case 'refresh':
                track('refresh', session.refresh());
                break;
              case 'sign-in':
                try {
                  session.signIn(cmd.response as TokenResponse);
                  if (typeof (cmd.response as TokenResponse | null)?.accessToken === 'string') issued.add((cmd.response as TokenResponse).accessToken!);
                } catch (error) {
                  if (!isTokenwardError(error)) violations.push(`signIn threw a ${typeof error}`);
                }
                break;
              case 'sign-out':
                session.signOut();
                break;
              case 'invalidate':
                session.invalidate(cmd.which === 'junk' ? 'not-a-token' : cmd.which === 'stale' ? 'initial' : lastSeen);
                break;
              case 'advance':
                await clock.advance(cmd.ms);
                jumped = false;
                break;
              case 'jump':
                clock.jump(cmd.ms);
                jumped = true;
                break;
              case 'online':
                env.signal(cmd.online ? 'online' : 'offline');
                if (cmd.online) jumped = false;
                break;
              case 'wake':
                env.signal('wake');
                if (env.online) jumped = false;
                break;
            }
            await clock.flush();
            check(`after #${i} ${cmd.op}`);
          }

          // Recovery: the refresher is healthy again and the network is back. After the longest
          // wait the SDK may impose (a hung refresh's timeout, then the longest backoff or
          // Retry-After honoured), every caller has settled and a session that still has a user
          // serves a token again.
          healthy = true;
          env.signal('online');
          await clock.advance(POLICY.timeoutMs! + Math.max(POLICY.maxBackoffMs!, MAX_RETRY_AFTER_MS) + 1_000);
          jumped = false;
          check('after recovery');
          const pending = calls.filter((c) => !c.settled);
          if (pending.length) violations.push(`${pending.length} callers never settled`);
          for (const call of calls) {
            if (call.error !== undefined && !isTokenwardError(call.error)) violations.push(`${call.op} rejected with an untyped ${String(call.error)}`);
            if (call.value !== undefined && !issued.has(call.value)) violations.push(`${call.op} resolved with a token never issued: ${call.value}`);
          }
          const status = session.getSnapshot().status;
          let final: { value: string } | { error: unknown } | undefined;
          session.getAccessToken().then(
            (value) => void (final = { value }),
            (error: unknown) => void (final = { error }),
          );
          await clock.advance(POLICY.timeoutMs! + 100);
          if (final === undefined) {
            violations.push('the last caller did not settle');
            final = { error: undefined };
          }
          if (status === 'anonymous' || status === 'expired') {
            const code = status === 'anonymous' ? 'ERR_NOT_SIGNED_IN' : 'ERR_SESSION_EXPIRED';
            if (!('error' in final) || (final.error as { code?: string }).code !== code) violations.push(`${status} should refuse with ${code}`);
          } else if (!('value' in final)) {
            violations.push(`${status} session did not recover: ${(final.error as { code?: string }).code}`);
          }

          // Events: typed payloads; session-expired at most once per session, only after a
          // refusal, and a throwing listener reported once per status event without breaking others.
          await clock.flush();
          let sinceSignIn = 0;
          for (const { name, payload } of events) {
            if (name === 'signed-in' || name === 'refreshed') sinceSignIn = 0;
            if (name === 'session-expired') {
              if (++sinceSignIn > 1) violations.push('session-expired twice for one session');
              const { error, origin } = payload as { error?: unknown; origin: string };
              if (origin !== 'local' || (error !== undefined && !isTokenwardError(error))) violations.push('bad session-expired payload');
            }
            if (name === 'refresh-failed' && !isTokenwardError((payload as { error: unknown }).error)) violations.push('refresh-failed without a typed error');
          }
          const statusEvents = events.filter((e) => e.name === 'status').length;
          if (listenerErrors !== statusEvents) violations.push(`listener errors ${listenerErrors} != status events ${statusEvents}`);

          // Dispose: every waiter settles with ERR_DISPOSED, a late refresher result changes nothing.
          track('get', session.getAccessToken());
          session.dispose();
          const after = session.getSnapshot();
          await clock.advance(POLICY.timeoutMs! + 100);
          if (JSON.stringify(session.getSnapshot()) !== JSON.stringify(after)) violations.push('state changed after dispose');
          const disposed = await session.getAccessToken().catch((error: { code?: string }) => error.code);
          if (disposed !== 'ERR_DISPOSED') violations.push(`after dispose: ${String(disposed)}`);
          if (calls.some((c) => !c.settled)) violations.push('a caller did not settle on dispose');

          expect(violations).toEqual([]);
        },
      ),
      // FUZZ_RUNS=2000 for a longer hunt; a run that hangs fails after 3 s and is shrunk like any other.
      { numRuns: Number(process.env.FUZZ_RUNS ?? 150), timeout: 3_000 },
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
