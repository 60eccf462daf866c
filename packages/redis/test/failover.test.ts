// Redis fails under a fleet of 8 real processes: stopped and restarted mid-run, or its lock holder killed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { clientIds, clientSecret, createAuthServer, resourceServers, type AuthServer } from '../../node/test/helpers/create-auth-server.js';
import { startFleet, type Fleet } from './helpers/fleet.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

const PROCESSES = 8;
const TTL_MS = 3_000;
/** A refresh is due half a lifetime after the token was requested, at the soonest (the core's lead, jitter). */
const REFRESH_EVERY_MS = TTL_MS / 2;
// As in fleet.test.ts: no outage from a starved event loop; a stopped Redis fails at once anyway.
const REDIS_TIMEOUT_MS = 2_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let server: AuthServer;
let redis: RedisServer;
let fleet: Fleet;

beforeAll(async () => {
  [server, redis] = await Promise.all([createAuthServer({ accessTokenTTL: TTL_MS / 1000 }), startRedisServer()]);
  const env = { REDIS_URL: redis.url, TOKEN_KEY: randomBytes(32).toString('base64url'), TOKEN_ENDPOINT: server.tokenEndpoint, CLIENT_ID: clientIds.basic, CLIENT_SECRET: clientSecret };
  fleet = await startFleet(PROCESSES, env);
});
afterAll(async () => {
  await fleet?.close();
  await Promise.all([server?.close(), redis?.close()]);
});

it('Redis stopped mid-run, then restarted: 0 failed calls, bounded extra token requests, one warning and one recovery line per process', async () => {
  server.reset();
  await fleet.all({ op: 'setup', prefix: 'failover:', timeoutMs: REDIS_TIMEOUT_MS });
  const RUN_MS = 9_000;
  const DOWN_AT = 2_000;
  const OUTAGE_MS = 3_500;
  const run = fleet.all({ op: 'loop', callers: 20, audiences: [resourceServers[0]!], everyMs: 100, durationMs: RUN_MS });
  await sleep(DOWN_AT);
  await redis.stop();
  await sleep(OUTAGE_MS);
  await redis.start();
  const reports = await run;

  expect(reports.flatMap((report) => report.failures)).toEqual([]);
  expect(reports.reduce((sum, report) => sum + report.calls, 0)).toBeGreaterThan(PROCESSES * 20 * 10);
  // The bound: one request per refresh for the fleet while Redis is up, one per process during the
  // outage (plus the refresh each had started): cycles(run) + P × (cycles(outage) + 1).
  const cycles = (ms: number) => Math.ceil(ms / REFRESH_EVERY_MS);
  const bound = cycles(RUN_MS) + PROCESSES * (cycles(OUTAGE_MS) + 1);
  console.log(`failover: ${server.counts.grants} token requests (bound ${bound}; each process on its own would make about ${PROCESSES * cycles(RUN_MS)})`);
  expect(server.counts.grants).toBeLessThanOrEqual(bound);
  for (const worker of fleet.workers) {
    expect(worker.logs.map((line) => line.level)).toEqual(['warn', 'info']);
    expect(worker.logs[0]!.message).toMatch(/^tokenward\/redis: Redis unavailable \(.+\); each process serves tokens from its own cache/);
    expect(worker.logs[1]!.message).toMatch(/^tokenward\/redis: Redis is back after \d+ ms; refreshes served without it: \d+$/);
  }
});

it('a lock holder killed (SIGKILL) mid-request loses its lease: another process gets a token within it', async () => {
  const LEASE_MS = 3_000;
  // Tokens that outlive the wait: a process that waited a whole lease for a 3 s token would find
  // it due for refresh-ahead at once (the core counts a token's life from when its refresh began).
  const longLived = await createAuthServer({ accessTokenTTL: 60 });
  onTestFinished(() => longLived.close());
  // Token requests wait for the test's word: the first process to ask (the lock holder) is killed
  // with its request in hand; any later one is let through.
  await fleet.all({ op: 'setup', prefix: 'killed:', lockLeaseMs: LEASE_MS, timeoutMs: REDIS_TIMEOUT_MS, gated: true, tokenEndpoint: longLived.tokenEndpoint });
  for (const worker of fleet.workers) worker.tokenRequests.length = 0;
  const runs = fleet.workers.map((worker) => ({ worker, report: worker.run({ op: 'burst', callers: 50, audiences: [resourceServers[2]!] }) }));
  while (!fleet.workers.some((worker) => worker.tokenRequests.length > 0)) await sleep(5);
  const holder = fleet.workers.find((worker) => worker.tokenRequests.length > 0)!;
  holder.child.kill('SIGKILL');
  const killedAt = Date.now();
  const released = new Map<unknown, number>([[holder, holder.tokenRequests.length]]);
  let done = false;
  const survivors = Promise.all(runs.filter((run) => run.worker !== holder).map((run) => run.report)).finally(() => (done = true));
  while (!done) {
    for (const worker of fleet.workers) {
      while ((released.get(worker) ?? 0) < worker.tokenRequests.length) {
        released.set(worker, (released.get(worker) ?? 0) + 1);
        worker.proceed();
      }
    }
    await sleep(5);
  }
  const reports = await survivors;
  expect(reports).toHaveLength(PROCESSES - 1);
  expect(reports.flatMap((report) => report.failures)).toEqual([]);
  expect(new Set(reports.flatMap((report) => report.hashes)).size).toBe(1);
  // The killed process's request never reached the server; exactly one other process asked after it.
  expect(fleet.workers.map((worker) => worker.tokenRequests.length).reduce((sum, count) => sum + count, 0)).toBe(2);
  expect([longLived.counts.tokenRequests, longLived.counts.grants]).toEqual([1, 1]);
  const firstToken = Math.min(...reports.map((report) => report.firstTokenAt));
  console.log(`lock holder killed: a token ${firstToken - killedAt} ms later (lease ${LEASE_MS} ms)`);
  // Within the lease, plus the poll interval and the one token request that follows it.
  expect(firstToken - killedAt).toBeLessThan(LEASE_MS + 1_000);
});
