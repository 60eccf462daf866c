import { describe, expect, it } from 'vitest';
import { createSession } from '../src/create-session.js';
import { createTestClock } from '../src/testing.js';
import type { Coordinator, PeerAnnouncement, Session } from '../src/types.js';
import { fakeJwt } from './helpers/jwt.js';

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Sessions of one user agent, linked as tabs are: what one announces, the others hear. */
function createPeers() {
  const listeners = new Set<(message: PeerAnnouncement) => void>();
  return (): Coordinator => {
    let own: ((message: PeerAnnouncement) => void) | undefined;
    return {
      refresh: (run) => run(),
      announce: (message) => listeners.forEach((listener) => listener !== own && listener(message)),
      subscribe(listener) {
        own = listener;
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
    };
  };
}

function counted(session: Session) {
  const calls = { count: 0 };
  const unsubscribe = session.subscribe(() => calls.count++);
  return { calls, unsubscribe };
}

describe('getSnapshot and subscribe', () => {
  it('returns the same snapshot object until a field changes, however many calls and requests come between', async () => {
    const clock = createTestClock();
    const session = createSession({ clock, refresh: async () => ({ accessToken: 'next', expiresIn: 60 }), tokens: { accessToken: 'first', expiresIn: 600 } });
    const first = session.getSnapshot();
    await Promise.all(Array.from({ length: 10 }, () => session.getAccessToken()));
    expect(session.getSnapshot()).toBe(first);
    session.signOut();
    const signedOut = session.getSnapshot();
    expect(signedOut).not.toBe(first);
    expect(signedOut.status).toBe('anonymous');
    expect(session.getSnapshot()).toBe(signedOut);
  });

  it('calls a subscriber once per snapshot change, asynchronously, and never after unsubscribe', async () => {
    const clock = createTestClock();
    let n = 0;
    const session = createSession({ clock, refresh: async () => ({ accessToken: `t-${++n}`, expiresIn: 60 }) });
    const { calls, unsubscribe } = counted(session);
    await session.getAccessToken(); // unknown -> refreshing -> active: 2 changes
    expect(calls.count).toBe(2);
    await session.getAccessToken(); // a valid token: no change
    await flush();
    expect(calls.count).toBe(2);
    session.signIn({ accessToken: 'signed-in', expiresIn: 120 });
    // Never inside the machine: the subscriber runs after signIn returned.
    expect(calls.count).toBe(2);
    await flush();
    expect(calls.count).toBe(3);
    unsubscribe();
    session.signOut();
    await flush();
    expect(calls.count).toBe(3);
  });

  it('notifies a subscriber when a token is adopted from another tab', async () => {
    const peers = createPeers();
    const refresh = async () => ({ accessToken: 'unused', expiresIn: 60 });
    const a = createSession({ refresh, coordinator: peers() });
    const b = createSession({ refresh, coordinator: peers() });
    const { calls } = counted(b);
    a.signIn({ accessToken: 'from-a', expiresIn: 300 });
    await flush();
    expect(b.getSnapshot().status).toBe('active');
    expect(calls.count).toBe(1);
    expect(await b.getAccessToken()).toBe('from-a');
  });
});

describe('getClaims', () => {
  it('decodes the current JWT without verifying it, the same object until the token changes', async () => {
    const first = fakeJwt({ sub: 'ada', roles: ['admin'], exp: 4_000_000_000 });
    const second = fakeJwt({ sub: 'ada', roles: ['reader'], exp: 4_000_000_000 });
    const session = createSession({ refresh: async () => ({ accessToken: second, expiresIn: 60 }), tokens: { accessToken: first, expiresIn: 60 } });
    const claims = session.getClaims();
    expect(claims).toMatchObject({ sub: 'ada', roles: ['admin'] });
    expect(session.getClaims()).toBe(claims);
    await session.refresh();
    expect(session.getClaims()).toMatchObject({ roles: ['reader'] });
    session.signOut();
    expect(session.getClaims()).toBeUndefined();
  });

  it('is undefined for an opaque token, in cookie mode (no access token in script) and before any token', () => {
    const refresh = async () => ({ expiresIn: 60 });
    expect(createSession({ refresh }).getClaims()).toBeUndefined();
    expect(createSession({ refresh, tokens: { accessToken: 'opaque-token', expiresIn: 60 } }).getClaims()).toBeUndefined();
    expect(createSession({ refresh, tokens: { expiresIn: 60 } }).getClaims()).toBeUndefined();
  });
});
