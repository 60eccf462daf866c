// Two @tokenward/server instances behind one load balancer, sharing one real Redis.
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { createAuthHandler, type AuthEvent, type AuthHandler } from '@tokenward/server';
import { AUDIENCE, authenticate, body, Client, ISSUER } from '../../server/test/helpers/harness.js';
import { createRedisRefreshStore } from '../src/index.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

const ORIGIN = 'http://localhost:3000';
const ADDRESS = '203.0.113.1';
let redis: RedisServer;
let run = 0;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.close());

/** Two handlers with their own Redis connections and one prefix. */
function fleet(): { instances: AuthHandler[]; events: AuthEvent[][] } {
  const prefix = `fleet:${++run}:`;
  const events: AuthEvent[][] = [[], []];
  const instances = events.map((seen) => {
    const store = createRedisRefreshStore({ url: redis.url, prefix });
    const auth = createAuthHandler({
      authenticate,
      issuer: ISSUER,
      audience: AUDIENCE,
      store,
      rateLimit: false,
      keyRotationMs: 0,
      onEvent: (event) => seen.push(event),
    });
    onTestFinished(async () => {
      await auth.close();
      await store.close();
    });
    return auth;
  });
  return { instances, events };
}

/** The same browser, its request routed to `auth`. */
function routed(browser: Client, auth: AuthHandler): Client {
  const there = new Client(auth, ORIGIN, ADDRESS);
  there.jar.set('tw_refresh', browser.refreshToken!, '/auth');
  there.jar.set('tw_csrf', browser.jar.get('tw_csrf')!, '/');
  return there;
}

const count = (events: AuthEvent[][], type: AuthEvent['type']) => events.flat().filter((event) => event.type === type).length;

it('a cookie issued by one instance rotates on the other, and back', async () => {
  const { instances: [a, b], events } = fleet();
  const browser = new Client(a!, ORIGIN, ADDRESS);
  expect((await browser.login('alice', 'cookie')).status).toBe(200);
  const issued = browser.refreshToken!;

  const onB = routed(browser, b!);
  expect((await onB.refresh()).status).toBe(200);
  expect(onB.refreshToken).not.toBe(issued);
  expect(events[1]!.filter((event) => event.type === 'refresh')).toHaveLength(1);

  const backOnA = routed(onB, a!);
  expect((await backOnA.refresh()).status).toBe(200);
  expect(backOnA.refreshToken).not.toBe(onB.refreshToken);
  expect([count(events, 'refresh'), count(events, 'reuse')]).toEqual([2, 0]);
});

it('40 concurrent refreshes of one family, split across both instances, rotate it once; all get the same child', async () => {
  const { instances, events } = fleet();
  const browser = new Client(instances[0]!, ORIGIN, ADDRESS);
  expect((await browser.login('alice', 'bearer')).status).toBe(200);
  const tabs = Array.from({ length: 40 }, (_, tab) => routed(browser, instances[tab % 2]!));
  const responses = await Promise.all(tabs.map((tab) => tab.refresh()));
  expect(responses.map((response) => response.status)).toEqual(tabs.map(() => 200));
  const children = new Set(tabs.map((tab) => tab.refreshToken));
  expect(children.size).toBe(1);
  expect(children.has(browser.refreshToken)).toBe(false);
  expect((await Promise.all(responses.map(body))).every((answer) => typeof answer.accessToken === 'string' || typeof answer.access_token === 'string')).toBe(true);
  expect([count(events, 'refresh'), count(events, 'grace'), count(events, 'reuse')]).toEqual([1, 39, 0]);
  // Both instances answered some of them.
  expect(events.map((seen) => seen.length > 0)).toEqual([true, true]);
});
