// @vitest-environment happy-dom
import { createSession, type Session } from '@tokenward/core';
import { act, cleanup, render, screen } from '@testing-library/react';
import { useSyncExternalStore } from 'react';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../core/test/helpers/http-server.js';

// The pattern any framework can use, without @tokenward/react: React's own useSyncExternalStore on
// the core session. It looped ("Maximum update depth exceeded") while getSnapshot() returned a new
// object on every call.
let server: TestServer;
let refreshCalls = 0;
beforeAll(async () => {
  server = await startServer((_request, response) => {
    refreshCalls++;
    response.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end(JSON.stringify({ access_token: `at-${refreshCalls}`, expires_in: 300 }));
  });
});
afterAll(() => server.close());
afterEach(cleanup);

function serverSession(): Session {
  return createSession({
    async refresh() {
      const body = await fetch(`${server.url}/token`, { method: 'POST' }).then((r) => r.json());
      return { accessToken: body.access_token, expiresIn: body.expires_in };
    },
  });
}

describe('useSyncExternalStore on a core session', () => {
  it("renders with session.on('status', cb) and session.getSnapshot, and follows the status", async () => {
    const session = serverSession();
    function Status() {
      const snapshot = useSyncExternalStore((cb) => session.on('status', cb), session.getSnapshot);
      return <p>{snapshot.status}</p>;
    }
    render(<Status />);
    expect(screen.getByText('unknown')).toBeTruthy();
    await act(() => session.getAccessToken());
    expect(screen.getByText('active')).toBeTruthy();
    session.dispose();
  });

  it('renders with session.subscribe and session.getSnapshot, and follows every change', async () => {
    const session = serverSession();
    const seen: string[] = [];
    function Status() {
      const { status } = useSyncExternalStore(session.subscribe, session.getSnapshot);
      seen.push(status);
      return <p>{status}</p>;
    }
    render(<Status />);
    await act(() => session.getAccessToken());
    expect(screen.getByText('active')).toBeTruthy();
    await act(async () => session.signOut());
    expect(screen.getByText('anonymous')).toBeTruthy();
    // One render per status it went through: no render without a change.
    expect(seen).toEqual(['unknown', 'refreshing', 'active', 'anonymous']);
    session.dispose();
  });
});
