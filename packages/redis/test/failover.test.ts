// Redis fails under a fleet of 8 real processes: stopped and restarted mid-run, or its lock holder killed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
    expect(worker.logs[1]!.message).toMatch(/^tokenward\/redis: Redis is back after \d+ ms; \d+ refreshes were served without it$/);
  }
});

it('a lock holder killed (SIGKILL) mid-request loses its lease: another process gets a token within it', async () => {
  const LEASE_MS = 1_500;
  server.reset();
  await fleet.all({ op: 'setup', prefix: 'killed:', lockLeaseMs: LEASE_MS, timeoutMs: REDIS_TIMEOUT_MS });
  for (const worker of fleet.workers) worker.tokenRequests.length = 0;
  // The first token request hangs: its process holds the lock when it is killed.
  server.fault = ({ number }) => (number === 1 ? { status: 503, delayMs: 5_000 } : undefined);
  const runs = fleet.workers.map((worker) => ({ worker, report: worker.run({ op: 'burst', callers: 50, audiences: [resourceServers[2]!] }) }));
  while (!fleet.workers.some((worker) => worker.tokenRequests.length > 0)) await sleep(5);
  const holder = fleet.workers.find((worker) => worker.tokenRequests.length > 0)!;
  holder.child.kill('SIGKILL');
  const killedAt = Date.now();

  const survivors = await Promise.all(runs.filter((run) => run.worker !== holder).map((run) => run.report));
  expect(survivors).toHaveLength(PROCESSES - 1);
  expect(survivors.flatMap((report) => report.failures)).toEqual([]);
  expect(new Set(survivors.flatMap((report) => report.hashes)).size).toBe(1);
  // The killed request, then exactly one more: the process that took the lease over.
  expect([server.counts.tokenRequests, server.counts.grants]).toEqual([2, 1]);
  const firstToken = Math.min(...survivors.map((report) => report.firstTokenAt));
  console.log(`lock holder killed: a token ${firstToken - killedAt} ms later (lease ${LEASE_MS} ms)`);
  // Within the lease, plus the poll interval and the one token request that follows it.
  expect(firstToken - killedAt).toBeLessThan(LEASE_MS + 1_000);
});
