import type { IncomingMessage, ServerResponse } from 'node:http';
import { sleep } from './http-server.js';

/**
 * An API that accepts only the newest token its token endpoint issued, and a token endpoint that
 * counts its calls. Latency can be jittered per request; `/redirect` sends the client to
 * `redirectTo()`. Every request is recorded with its path, `Authorization` header and body.
 */
export function createWorld(redirectTo: () => string) {
  const state = { issued: 0, refreshCalls: 0, jitterMs: 0, seen: [] as Array<{ path: string; authorization?: string; body: string }> };
  const current = () => `tok-${state.issued}`;
  const refresh = async () => {
    state.refreshCalls++;
    await sleep(5);
    state.issued++;
    return { accessToken: current(), expiresIn: 300 };
  };
  const handler = async (request: IncomingMessage, response: ServerResponse, body: string) => {
    state.seen.push({ path: request.url!, authorization: request.headers.authorization, body });
    if (state.jitterMs) await sleep(Math.random() * state.jitterMs);
    if (request.url === '/redirect') {
      response.writeHead(302, { location: `${redirectTo()}/landing` }).end();
      return;
    }
    const ok = request.headers.authorization === `Bearer ${current()}`;
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, body }));
  };
  return { state, refresh, handler };
}
