// Hostile cross-tab messages (wrong version, unknown types, stale and future generations, missing
// fields, wrong types, spoofed senders, megabyte payloads) posted on the channel two real tabs share,
// through the browser package's coordinator into their sessions (broadcast-channel's in-process
// `simulate` method, messages structured-cloned as a browser would). A message the validator refuses
// changes nothing; one it accepts does only what its type says; both sessions stay consistent; and
// afterwards the tabs still refresh once for both and still hear each other's sign-out.
import { BroadcastChannel } from 'broadcast-channel';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession, type Refresher, type Session } from '@tokenward/core';
import { createTabCoordinator, parsePeerMessage, type TabCoordinator } from '@tokenward/browser';
import { MEGABYTE } from './helpers/arbitraries.js';
import { snapshotViolations } from './helpers/invariants.js';
import { guardProcess, type ProcessGuard } from './helpers/process-guard.js';

const FAST = { helloMs: 20, contentionMs: 15, beatMs: 30, leaseMs: 150 };
const POLICY = { leadMs: 1_000, leadFraction: 0, jitterFraction: 0 };

interface Tab {
  session: Session;
  coordinator: TabCoordinator;
  close(): Promise<void>;
}

function openTab(channel: string, refresh: Refresher): Tab {
  const coordinator = createTabCoordinator({ name: channel, type: 'simulate', timings: FAST });
  const session = createSession({ refresh, coordinator, policy: POLICY, onListenerError: () => {} });
  return {
    session,
    coordinator,
    async close() {
      session.dispose();
      await coordinator.close();
    },
  };
}

/** A server with rotating refresh tokens shared by the tabs: counts calls and reuse. */
function fakeServer() {
  const stats = { calls: 0, concurrent: 0, maxConcurrent: 0 };
  const refresh: Refresher = async ({ signal }) => {
    stats.calls++;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, ++stats.concurrent);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, 10);
        signal.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
      });
      return { accessToken: `server-${stats.calls}`, expiresIn: 60 };
    } finally {
      stats.concurrent--;
    }
  };
  return { refresh, stats };
}

let channels = 0;
const KNOWN_TYPES = ['hello', 'claim', 'beat', 'ping', 'release', 'signed-out', 'tokens', 'failed', 'expired'] as const;

/** A message template; `at` and `gen` are filled in relative to the moment it is sent. */
const message = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record(
        {
          v: fc.oneof({ weight: 8, arbitrary: fc.constant<unknown>(1) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 2, '1', null) }),
          type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom<string>(...KNOWN_TYPES) }, { weight: 1, arbitrary: fc.constantFrom('constructor', '__proto__', 'toString', 'steal', '') }),
          from: fc.oneof({ weight: 6, arbitrary: fc.stringMatching(/^[\w-]{1,12}$/) }, { weight: 1, arbitrary: fc.constantFrom('', 'a b', 'x'.repeat(65), 'self-a', 'self-b', '0') }),
          gen: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 1_000 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(-1, 1.5, NaN, '3', null) }),
          ageMs: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -2_000, max: 2_000 }) }, { weight: 1, arbitrary: fc.constantFrom(-20_000, 20_000, 9_999, 10_001) }),
          token: fc.record(
            {
              accessToken: fc.oneof(fc.stringMatching(/^[\w.-]{4,30}$/), fc.constantFrom<unknown>('', 'a b', 'x'.repeat(16_385), MEGABYTE, 42)),
              tokenType: fc.oneof(fc.constant<unknown>('Bearer'), fc.constantFrom<unknown>('cookie', 'DPoP', 'Bearer x', '', 7)),
              lifetimeMs: fc.oneof(fc.integer({ min: 1, max: 3_600_000 }), fc.constantFrom(-1_000, 0, 400 * 86_400_000)),
              obtainedAgoMs: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(-86_400_000, 86_400_000)),
              scope: fc.option(fc.oneof(fc.string(), fc.constant(MEGABYTE)), { nil: undefined }),
            },
            { requiredKeys: ['accessToken', 'tokenType', 'lifetimeMs', 'obtainedAgoMs'] },
          ),
          signedIn: fc.oneof(fc.boolean(), fc.constant<unknown>('yes')),
          to: fc.option(fc.oneof(fc.constant('self-a'), fc.constant('self-b'), fc.stringMatching(/^[\w-]{1,8}$/)), { nil: undefined }),
          retryAfterMs: fc.option(fc.oneof(fc.nat(60_000), fc.constantFrom<unknown>(-1, NaN, 'soon')), { nil: undefined }),
          reason: fc.oneof(fc.constant<unknown>('invalid_grant'), fc.constantFrom<unknown>('', 'a b', 'x'.repeat(70), 5)),
          extra: fc.option(fc.constantFrom<unknown>(MEGABYTE, { nested: true }), { nil: undefined }),
        },
        { requiredKeys: ['v', 'type', 'from', 'gen', 'ageMs'] },
      ),
    },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((raw) => ({ raw })) },
);

/** Builds the message at send time (its `at`, its token's times) the way a tab would post it. */
function build(t: Record<string, unknown>, now: number, ids: string[]): unknown {
  if ('raw' in t) return t.raw;
  const fromSelf = t.from === 'self-a' ? ids[0] : t.from === 'self-b' ? ids[1] : t.from;
  const to = t.to === 'self-a' ? ids[0] : t.to === 'self-b' ? ids[1] : t.to;
  const out: Record<string, unknown> = { v: t.v, type: t.type, from: fromSelf, gen: t.gen, at: now - (t.ageMs as number) };
  if (t.type === 'tokens' && t.token) {
    const k = t.token as Record<string, unknown>;
    const obtainedAt = now - (k.obtainedAgoMs as number);
    out.token = { accessToken: k.accessToken, tokenType: k.tokenType, obtainedAt, expiresAt: obtainedAt + (k.lifetimeMs as number), ...(k.scope === undefined ? {} : { scope: k.scope }) };
    out.signedIn = t.signedIn;
    if (to !== undefined) out.to = to;
  }
  if (t.type === 'failed' && t.retryAfterMs !== undefined) out.retryAfterMs = t.retryAfterMs;
  if (t.type === 'expired') out.reason = t.reason;
  if (t.extra !== undefined) out.extra = t.extra;
  return out;
}

let guard: ProcessGuard;
beforeAll(() => void (guard = guardProcess()));
afterAll(() => guard.stop());

describe('cross-tab messages', () => {
  it('change nothing unless valid, do only what their type says, and leave the tabs coordinating', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 8 }), async (messages) => {
        const name = `fuzz-${process.pid}-${++channels}`;
        const server = fakeServer();
        const a = openTab(name, server.refresh);
        const b = openTab(name, server.refresh);
        const hostile = new BroadcastChannel<unknown>(name, { type: 'simulate' });
        const ids = [a.coordinator.tab, b.coordinator.tab];
        const violations: string[] = [];
        try {
          // Both tabs signed in (A signed in, B adopted it through the channel).
          a.session.signIn({ accessToken: 'initial', expiresIn: 60 });
          await waitFor(async () => (await b.session.getAccessToken().catch(() => '')) === 'initial').catch(() => violations.push('B never adopted the first sign-in'));

          for (const template of messages) {
            const now = Date.now();
            const data = structuredClone(build(template as Record<string, unknown>, now, ids));
            const before = a.session.getSnapshot();
            const parsed = parsePeerMessage(structuredClone(data), Date.now()) as Record<string, unknown> | undefined;
            await hostile.postMessage(data);
            await new Promise((resolve) => setImmediate(resolve));
            const after = a.session.getSnapshot();
            for (const [tab, s] of [['A', after], ['B', b.session.getSnapshot()]] as const) {
              const found = snapshotViolations(s, { now: Date.now(), policy: POLICY });
              if (found.length) violations.push(`${tab} after ${JSON.stringify(data).slice(0, 120)}: ${found.join('; ')}`);
            }
            const same = after.status === before.status && after.expiresAt === before.expiresAt;
            const type = parsed?.type;
            if (parsed === undefined || type === 'hello' || type === 'claim' || type === 'beat' || type === 'ping' || type === 'release' || type === 'failed') {
              if (!same) violations.push(`${parsed ? String(type) : 'refused message'} changed the session: ${before.status} -> ${after.status}`);
            } else if (type === 'tokens') {
              const token = parsed.token as { expiresAt: number };
              if (!same && after.expiresAt !== token.expiresAt) violations.push('tokens message changed the session to something else than its token');
            } else if (type === 'signed-out') {
              if (!same && after.status !== 'anonymous') violations.push(`signed-out moved the session to ${after.status}`);
            } else if (type === 'expired') {
              if (!same && after.status !== 'expired') violations.push(`expired moved the session to ${after.status}`);
            }
          }

          // Still coordinating: both tabs signed in anew; one refresh serves both; a sign-out reaches the other.
          a.session.signIn({ accessToken: 'again', expiresIn: 60 });
          await waitFor(async () => (await b.session.getAccessToken().catch(() => '')) === 'again').catch(() => violations.push(`B never adopted the second sign-in: ${b.session.getSnapshot().status}`));
          const calls = server.stats.calls;
          const refreshed = await Promise.all([withTimeout(a.session.refresh(), 5_000), withTimeout(b.session.refresh(), 5_000)]);
          if (!refreshed.every((token) => /^server-\d+$/.test(token))) violations.push(`refresh after the barrage gave ${refreshed.join(', ')}`);
          if (server.stats.maxConcurrent > 1) violations.push(`${server.stats.maxConcurrent} refreshes ran at once`);
          if (server.stats.calls - calls > 2) violations.push(`${server.stats.calls - calls} refresh calls for two tabs`);
          a.session.signOut();
          await waitFor(() => b.session.getSnapshot().status === 'anonymous', 3_000).catch(() => violations.push(`B did not hear A's sign-out: ${b.session.getSnapshot().status}`));
        } finally {
          await hostile.close();
          await a.close();
          await b.close();
        }
        expect(violations).toEqual([]);
      }),
      // Real timers and a real channel: on a loaded machine each run takes longer, so the runs stop
      // (as passed) after 45 s rather than the test timing out.
      { numRuns: 40, interruptAfterTimeLimit: 45_000 },
    );
  }, 120_000);

  it('any JSON value posted on the channel reaches neither session', async () => {
    const name = `fuzz-${process.pid}-${++channels}`;
    const server = fakeServer();
    const a = openTab(name, server.refresh);
    a.session.signIn({ accessToken: 'initial', expiresIn: 60 });
    const before = a.session.getSnapshot();
    const hostile = new BroadcastChannel<unknown>(name, { type: 'simulate' });
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        await hostile.postMessage(structuredClone(value));
        expect(a.session.getSnapshot()).toEqual(before);
      }),
      { numRuns: 200 },
    );
    await hostile.close();
    await a.close();
  });
});

describe('escapes', () => {
  it('saw no unhandled rejection and no uncaught exception', async () => {
    await guard.settle();
    expect(guard.reasons).toEqual([]);
    expect(guard.unhandledRejections + guard.uncaughtExceptions).toBe(0);
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | string> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([promise.catch((e: unknown) => `rejected: ${String((e as Error)?.message ?? e)}`), new Promise<string>((resolve) => (timer = setTimeout(resolve, ms, 'hung')))]).finally(() => clearTimeout(timer));
}
