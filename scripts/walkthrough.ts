// A terminal walk-through of one session: a local token endpoint issuing 4-second tokens, a session
// refreshing ahead of expiry, and 100 concurrent API calls through the auto-refreshing fetch.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthFetch, createSession, RefreshFailedError } from '@tokenward/core';

let issued = 0;
let refreshCalls = 0;
const server = createServer((request, response) => {
  if (request.url === '/token') {
    refreshCalls++;
    issued++;
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `token-${issued}`, expires_in: 4 }));
    return;
  }
  const ok = request.headers.authorization === `Bearer token-${issued}`;
  response.writeHead(ok ? 200 : 401).end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const time = () => new Date().toISOString().slice(11, 23);

const session = createSession({
  async refresh({ signal }) {
    const response = await fetch(`${origin}/token`, { method: 'POST', signal });
    if (!response.ok) throw new RefreshFailedError('Token endpoint refused', { status: response.status });
    const body = (await response.json()) as { access_token: string; expires_in: number };
    return { accessToken: body.access_token, expiresIn: body.expires_in };
  },
  policy: { leadMs: 1_000 },
});
for (const event of ['signed-in', 'refreshed', 'refresh-failed', 'session-expired', 'signed-out'] as const) {
  session.on(event, (payload) => console.log(`${time()}  ${event.padEnd(15)} ${JSON.stringify({ ...payload, error: undefined })}`));
}
session.on('status', ({ from, to }) => console.log(`${time()}  status          ${from} -> ${to}`));

const authFetch = createAuthFetch(session, { origins: [origin] });
console.log(`tokenward walk-through against a token endpoint at ${origin} (4-second tokens). Ctrl-C to stop.\n`);
const tick = setInterval(async () => {
  const responses = await Promise.all(Array.from({ length: 100 }, () => authFetch(`${origin}/api`)));
  const ok = responses.filter((r) => r.ok).length;
  console.log(`${time()}  100 API calls   ${ok} ok, token endpoint called ${refreshCalls} time(s) so far`);
}, 1_500);

process.on('SIGINT', () => {
  clearInterval(tick);
  session.dispose();
  server.close();
  console.log('\nstopped');
});
