// Two @tokenward/server instances with an OpenID upstream, sharing one real Redis: the provider's
// refresh is one per family across both (the upstream lease), even when its holder was killed.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { base64url } from 'jose';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { createAuthHandler, createOidcUpstream, type AuthEvent, type AuthHandler } from '@tokenward/server';
import { CLIENT_ID, CLIENT_SECRET, ENCRYPTION_KEY, oidcSetup, type OidcSetup } from '../../server/test/helpers/oidc-setup.js';
import { createRedisRefreshStore } from '../src/index.js';
import type { UpstreamWorkerCommand, UpstreamWorkerReport } from './fixtures/upstream-worker.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const worker = fileURLToPath(new URL('./fixtures/upstream-worker.ts', import.meta.url));

const REFRESH_TIMEOUT_MS = 1_000;
/** The instances' lease: the provider request's timeout plus the 5 s margin for the swap. */
const LEASE_MS = REFRESH_TIMEOUT_MS + 5_000;
const CALLERS = 24;
const quiet = { warn: () => undefined, error: () => undefined };

let redis: RedisServer;
let run = 0;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.close());

interface Fleet {
  setup: OidcSetup;
  instances: AuthHandler[];
  events: AuthEvent[];
  prefix: string;
  clock: { offset: number; now(): number };
}

/** The provider, instance A (served over HTTP by the helper) and instance B, each with its own Redis connection. */
async function fleet(): Promise<Fleet> {
  const prefix = `upstream:${++run}:`;
  const clock = { offset: 0, now: () => Date.now() + clock.offset };
  const store = () => {
    const opened = createRedisRefreshStore({ url: redis.url, prefix });
    onTestFinished(() => opened.close());
    return opened;
  };
  const events: AuthEvent[] = [];
  const upstream = (app: string) =>
    createOidcUpstream({ issuer: setup.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, scope: 'openid offline_access', redirectUri: `${app}/auth/callback`, encryptionKey: ENCRYPTION_KEY, refreshTimeoutMs: REFRESH_TIMEOUT_MS });
  const setup: OidcSetup = await oidcSetup({ store: store(), clock: clock.now, providerAccessTtl: 600, rotateRefreshToken: true, onEvent: (event) => events.push(event) });
  // The helper's instance, with this test's timeout: replaced by a second handler on the same app.
  const a = createAuthHandler({ issuer: setup.app, audience: `${setup.app}/api`, store: store(), clock: clock.now, rateLimit: false, logger: quiet, upstream: upstream(setup.app), onEvent: (event) => events.push(event) });
  const b = createAuthHandler({ issuer: setup.app, audience: `${setup.app}/api`, store: store(), clock: clock.now, rateLimit: false, logger: quiet, upstream: upstream(setup.app), onEvent: (event) => events.push(event) });
  onTestFinished(async () => {
    await a.close();
    await b.close();
  });
  return { setup, instances: [a, b], events, prefix, clock };
}

/** Signs alice in through the provider (at the helper's instance); the cookies a page would then send. */
async function signIn(setup: OidcSetup): Promise<{ cookie: string; csrf: string }> {
  const alice = setup.browser();
  expect((await alice.signIn()).status).toBe(303);
  return { cookie: `tw_refresh=${alice.jar.get('tw_refresh')}; tw_csrf=${alice.jar.get('tw_csrf')}`, csrf: alice.jar.get('tw_csrf')! };
}

/** `CALLERS` page refreshes at once, presenting the same cookie, alternately at instance A and B. */
async function burst({ instances, setup }: Fleet, page: { cookie: string; csrf: string }, onAnswer = () => {}): Promise<{ statuses: number[]; cookies: Set<string> }> {
  const answers = await Promise.all(
    Array.from({ length: CALLERS }, async (_, i) => {
      const response = await instances[i % 2]!.handle(new Request(`${setup.app}/auth/refresh`, { method: 'POST', headers: { cookie: page.cookie, 'x-tokenward-csrf': page.csrf } }));
      onAnswer();
      return response;
    }),
  );
  const refreshCookie = (response: Response) => response.headers.getSetCookie().find((line) => line.startsWith('tw_refresh='))?.split(';')[0];
  return { statuses: answers.map((response) => response!.status), cookies: new Set(answers.map((response) => refreshCookie(response!)!)) };
}

it(`${CALLERS} concurrent page refreshes split across two instances cost exactly one provider refresh, twice in a row`, async () => {
  const f = await fleet();
  const page = await signIn(f.setup);
  expect(f.setup.counts.token).toBe(1); // the code exchange

  f.clock.offset = 560_000; // 40 s of the provider's 600 left: due
  const first = await burst(f, page);
  expect(first.statuses).toEqual(Array(CALLERS).fill(200));
  expect(first.cookies.size).toBe(1); // one rotation here too: every answer carries the same child
  expect(f.setup.counts.token).toBe(2);
  expect(f.events.filter((event) => event.type === 'refresh')).toHaveLength(1);
  expect(f.events.filter((event) => event.type === 'grace')).toHaveLength(CALLERS - 1);

  // The provider rotated its refresh token; a second refresh with the old one would have revoked its
  // grant. The next due refresh goes through with the new one: the grant is intact.
  f.clock.offset += 560_000;
  const second = await burst(f, { ...page, cookie: `${[...first.cookies][0]}; tw_csrf=${page.csrf}` });
  expect(second.statuses).toEqual(Array(CALLERS).fill(200));
  expect(f.setup.counts.token).toBe(3);
  expect(f.events.filter((event) => ['reuse', 'invalid_grant'].includes(event.type))).toEqual([]);
}, 30_000);

it('an instance killed mid-refresh, holding the lease, blocks the family only until the lease ends; then exactly one instance refreshes', async () => {
  const f = await fleet();
  const page = await signIn(f.setup);
  f.clock.offset = 560_000;
  // A third instance, in its own process, takes the lease and is killed with its provider request in flight.
  const child = fork(worker, {
    cwd: root,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, REDIS_URL: redis.url, PREFIX: f.prefix, CLOCK_OFFSET: String(f.clock.offset), APP: f.setup.app, ISSUER: f.setup.issuer, CLIENT_ID, CLIENT_SECRET, ENCRYPTION_KEY: base64url.encode(ENCRYPTION_KEY), REFRESH_TIMEOUT_MS: String(REFRESH_TIMEOUT_MS) },
  });
  onTestFinished(() => void child.kill('SIGKILL'));
  const report = (op: UpstreamWorkerReport['op']) => new Promise<void>((resolve) => child.on('message', (message: UpstreamWorkerReport) => message.op === op && resolve()));
  await report('ready');
  const holding = report('holding');
  child.send({ op: 'refresh', ...page } satisfies UpstreamWorkerCommand);
  await holding;
  child.kill('SIGKILL');
  await once(child, 'exit');
  // The lease it left, as Redis holds it: "<holder> <until>" by the handlers' clock.
  const familyId = f.events.find((event) => event.type === 'login')!.familyId;
  const lease = await redis.client.get(`${f.prefix}lease:${familyId}`);
  const leaseEnds = Number(lease!.split(' ')[1]) - f.clock.offset;
  expect(leaseEnds).toBeLessThanOrEqual(Date.now() + LEASE_MS); // the bound: refreshTimeoutMs + 5 s

  let answered = 0;
  const result = burst(f, page, () => (answered += 1));
  // A second before the dead holder's lease ends, every caller still waits and the provider saw nothing.
  await new Promise((resolve) => setTimeout(resolve, leaseEnds - Date.now() - 1_000));
  expect([answered, f.setup.counts.token]).toEqual([0, 1]);
  expect((await result).statuses).toEqual(Array(CALLERS).fill(200));
  expect(f.setup.counts.token).toBe(2);
  expect(f.events.filter((event) => ['reuse', 'invalid_grant'].includes(event.type))).toEqual([]);
  expect(f.events.filter((event) => event.type === 'refresh')).toHaveLength(1);
}, 30_000);
