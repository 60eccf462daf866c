// @vitest-environment happy-dom
import { startServer, type TestServer } from '../../core/test/helpers/http-server.js';
import { fakeJwt } from '../../core/test/helpers/jwt.js';
import { screen, waitFor } from '@testing-library/react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The README's React snippet, imports and all, runs below as written.
import { createBrowserSession } from '@tokenward/browser';
import { SessionProvider, useAuthFetch, useSession } from '@tokenward/react';
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

// The page and its server on one origin, as in production: the cookie contract's refresh route and an API.
let server: TestServer;
const calls = { refresh: 0, orders: [] as Array<string | undefined> };
beforeAll(async () => {
  const token = fakeJwt({ sub: 'ada', name: 'Ada', exp: 4_000_000_000 });
  server = await startServer((request, response) => {
    if (request.url === '/auth/refresh') {
      calls.refresh++;
      return void response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 300 }));
    }
    calls.orders.push(request.headers.authorization);
    const ok = request.headers.authorization === `Bearer ${token}`;
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? ['o-1', 'o-2'] : { error: 'invalid_token' }));
  });
  (globalThis as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${server.url}/app`);
  document.body.innerHTML = '<div id="root"></div>';
  // Rendered outside testing-library's act(), as an app renders.
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
});
afterAll(() => server.close());

describe("the README's React snippet", () => {
  it('signs in from the refresh cookie route, shows the claims and fetches with the token', async () => {
    const session = createBrowserSession();

    function Account() {
      const { status, isAuthenticated, claims } = useSession();
      const authFetch = useAuthFetch(); // the browser session's own fetch: token, CSRF header, one retry after a 401
      const [orders, setOrders] = useState<string[]>([]);
      useEffect(() => {
        if (isAuthenticated) void authFetch('/api/orders').then((r) => r.json()).then(setOrders);
      }, [isAuthenticated, authFetch]);
      if (!isAuthenticated) return <p>{status === 'unknown' || status === 'refreshing' ? 'Loading…' : 'Signed out'}</p>;
      return <p>{String(claims?.name)} has {orders.length} orders</p>;
    }

    createRoot(document.getElementById('root')!).render(
      <SessionProvider session={session}>
        <Account />
      </SessionProvider>,
    );

    await waitFor(() => expect(screen.getByText('Ada has 2 orders')).toBeTruthy());
    expect(calls.refresh).toBe(1);
    expect(calls.orders).toHaveLength(1);
    expect(calls.orders[0]).toMatch(/^Bearer ey/);
    session.dispose();
  });
});
