// Bugs the reliability suite found, each pinned by the smallest test that shows it, now fixed: the
// tests stay as regression tests.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createSession, RefreshFailedError, type RefreshContext } from '@tokenward/core';
import { createTestClock } from '@tokenward/core/testing';

describe('core: Retry-After', () => {
  it.each([NaN, Infinity, 1e23, Number.MAX_VALUE])('a Retry-After of %s ms does not park the session in backoff for good', async (retryAfterMs) => {
    const clock = createTestClock();
    let calls = 0;
    const session = createSession({
      clock,
      tokens: { accessToken: 'first', expiresIn: 10 },
      refresh: async () => {
        if (calls++ === 0) throw new RefreshFailedError('busy', { status: 503, retryAfterMs });
        return { accessToken: 'second', expiresIn: 600 };
      },
    });
    await clock.advance(10_000);
    const { status, retryAt } = session.getSnapshot();
    // Honoured up to 15 minutes, like the browser transport's cap (NaN: not at all); never beyond.
    if (status === 'backoff') expect(retryAt! - clock.now()).toBeLessThanOrEqual(15 * 60_000);
    else expect(status).toBe('active');
    await clock.advance(15 * 60_000);
    expect(await session.getAccessToken()).toBe('second');
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});

describe('core: one refresh in flight', () => {
  it('a sign-in while a refresh is in flight aborts that refresh, so a demand right after never runs a second one beside it', async () => {
    const clock = createTestClock();
    const contexts: RefreshContext[] = [];
    const session = createSession({ clock, tokens: { accessToken: 'old', expiresIn: 60 }, refresh: (context) => (contexts.push(context), new Promise(() => {})) });
    session.invalidate('old'); // a 401: refresh now
    session.signIn({ accessToken: 'new', expiresIn: 2 }); // the user signs in again meanwhile
    void session.getAccessToken({ minValidityMs: 5_000 }).catch(() => {}); // wants more than the new token has: refresh
    await clock.flush();
    expect(contexts).toHaveLength(2);
    expect(contexts.filter((c) => !c.signal.aborted)).toHaveLength(1);
    session.dispose();
  });
});

describe('core: memory', () => {
  it('waiting for a refresh with a long-lived AbortSignal leaves no listener behind on it', async () => {
    const clock = createTestClock();
    let n = 0;
    const session = createSession({ clock, refresh: async () => ({ accessToken: `t${++n}`, expiresIn: 1 }) });
    const appLifetime = new AbortController();
    for (let i = 0; i < 50; i++) {
      clock.jump(2_000);
      await session.getAccessToken({ signal: appLifetime.signal });
    }
    expect(n).toBe(50);
    expect(getEventListeners(appLifetime.signal, 'abort')).toHaveLength(0);
    session.dispose();
  });
});

describe('core: refresh storms', () => {
  // Was: to-token-set.ts accepted any lifetime > 0 and policy.ts refreshes at half of it, so a server
  // answering `expires_in: 0.001` was refreshed every ~0.5 ms plus the round trip (~800 a second).
  // Fixed in 030de8c: a lifetime under a second is an unusable response (transient, with backoff).
  it('a token that lives 1 ms does not drive a refresh loop (at most 10 refreshes in 300 ms)', async () => {
    let calls = 0;
    const session = createSession({ refresh: async () => ({ accessToken: `t${++calls}`, expiresIn: 0.001 }) });
    await session.getAccessToken().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    session.dispose();
    expect(calls).toBeLessThanOrEqual(10);
  });
});

describe('browser: cross-tab generations', () => {
  // Was: create-tab-coordinator.ts adopted any valid `gen` it heard and incremented it at each
  // sign-in, sign-out and expiry, while parse-peer-message.ts refuses a `gen` that is not a safe
  // integer. One message of generation Number.MAX_SAFE_INTEGER (a buggy or hostile tab) pushed every
  // tab's counter there; the next sign-out went out as 2^53 and every peer dropped it. Fixed in
  // 6510a7a (the generation saturated); since, the generation is an epoch on the shared clock and a
  // peer's value counts at most a second ahead of it.
  it('a message of generation MAX_SAFE_INTEGER does not cut the tabs off from each other', async () => {
    const { createTabCoordinator } = await import('@tokenward/browser');
    const { createMemoryLock } = await import('../../packages/browser/src/coordinator/create-memory-lock.js');
    const name = `gen-overflow-${process.pid}`;
    const lock = createMemoryLock();
    const tabs = [0, 1].map(() => {
      const coordinator = createTabCoordinator({ name, lock, timings: { helloMs: 10 } });
      return { coordinator, session: createSession({ coordinator, refresh: async () => ({ accessToken: 'r', expiresIn: 60 }) }) };
    });
    const [a, b] = tabs as [(typeof tabs)[0], (typeof tabs)[0]];
    const hostile = new BroadcastChannel(name);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const now = Date.now();
    const token = { accessToken: 'peer', tokenType: 'Bearer', obtainedAt: now, expiresAt: now + 60_000 };
    hostile.postMessage({ v: 1, type: 'tokens', from: 'stranger', gen: Number.MAX_SAFE_INTEGER, at: now, token, signedIn: true });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(b.session.getSnapshot().status).toBe('active');
    a.session.signOut();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const heard = b.session.getSnapshot().status;
    hostile.close();
    for (const tab of tabs) {
      tab.session.dispose();
      await tab.coordinator.close();
    }
    expect(heard).toBe('anonymous');
  });
});
