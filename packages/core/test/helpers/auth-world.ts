import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSession } from '../../src/create-session.js';
import type { Session } from '../../src/types.js';
import { afterAll, beforeAll } from 'vitest';
import { sleep, startServer } from './http-server.js';

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

/**
 * The world on real servers: the API (`api`), and a foreign origin that records what reaches it.
 * `staleSession()` starts a session whose token the API no longer accepts, counts reset.
 */
export async function startWorld() {
  const foreignSeen: Array<{ path: string; authorization?: string }> = [];
  const foreign = await startServer((request, response) => {
    foreignSeen.push({ path: request.url!, authorization: request.headers.authorization });
    response.end('foreign');
  });
  const world = createWorld(() => foreign.url);
  const api = await startServer(world.handler);
  return {
    world,
    api,
    foreign,
    foreignSeen,
    staleSession(): Session {
      world.state.refreshCalls = 0;
      world.state.issued++;
      return createSession({ refresh: world.refresh, tokens: { accessToken: 'tok-stale', expiresIn: 300 } });
    },
    seenAt: (path: string) => world.state.seen.filter((s) => s.path === path),
    close: () => Promise.all([api.close(), foreign.close()]),
  };
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** A world per test file: started before its tests, closed after them. */
export function useWorld(): World {
  let current: World | undefined;
  beforeAll(async () => {
    current = await startWorld();
  });
  afterAll(() => current?.close());
  return new Proxy({} as World, { get: (_, key) => current![key as keyof World] });
}
