// 7. Fleet on Redis (@tokenward/redis): token-endpoint calls per key when 8 processes × 500 callers
// start cold, with the shared Redis token store against the in-process cache alone; and the cost of
// a cached getAccessToken() through the Redis store against the in-process cache, as a ratio
// measured side by side in this process (the hot path must stay in memory). Uses the Redis test
// suite's own helpers (a real redis-server, real worker processes), loaded through tsx.
import { randomBytes } from 'node:crypto';
import { tsImport } from 'tsx/esm/api';
import { createClientCredentials } from '@tokenward/node';
import { createRedisTokenStore } from '@tokenward/redis';
// The node benchmark's counting token endpoint (answers after 20 ms, as a real one would).
import { startTokenEndpoint } from '../../packages/node/bench/node.bench.mjs';

const PROCESSES = 8;

/** `await getAccessToken()` calls per second, over `iterations`. */
async function rate(tokens, iterations) {
  const start = performance.now();
  for (let i = 0; i < iterations; i += 1) await tokens.getAccessToken();
  return (iterations * 1000) / (performance.now() - start);
}

export async function run({ smoke, log }) {
  const helpers = (path) => tsImport(`../../packages/redis/test/helpers/${path}`, import.meta.url);
  const [{ startRedisServer }, { startFleet }] = await Promise.all([helpers('redis-server.ts'), helpers('fleet.ts')]);
  const callers = smoke ? 50 : 500;
  const [redis, endpoint] = await Promise.all([startRedisServer(), startTokenEndpoint({ expiresIn: 3600 })]);
  const issued = () => [...endpoint.calls.values()].reduce((sum, count) => sum + count, 0);
  const key = randomBytes(32).toString('base64url');
  let fleet;
  try {
    fleet = await startFleet(PROCESSES, { REDIS_URL: redis.url, TOKEN_KEY: key, TOKEN_ENDPOINT: endpoint.tokenEndpoint, CLIENT_ID: 'bench', CLIENT_SECRET: 'bench-secret' });
    const coldCalls = {};
    for (const store of ['memory', 'redis']) {
      const audience = `https://${store}.bench.test`;
      const before = issued();
      await fleet.all({ op: 'setup', prefix: `bench:${store}:`, store, timeoutMs: 2_000 });
      const reports = await fleet.all({ op: 'burst', callers, audiences: [audience] });
      const failures = reports.flatMap((report) => report.failures);
      if (failures.length > 0) throw new Error(`${failures.length} calls failed: ${failures[0]}`);
      coldCalls[store] = issued() - before;
      log(`  ${PROCESSES} processes × ${callers} cold callers, one key, ${store === 'redis' ? 'Redis token store' : 'in-process cache only'}: ${coldCalls[store]} token-endpoint calls`);
    }

    // Cached calls, side by side: rounds alternate between the two sources; the ratio is per round.
    const store = createRedisTokenStore({ url: redis.url, prefix: 'bench:hot:', encryptionKey: key, timeoutMs: 2_000 });
    const common = { tokenEndpoint: endpoint.tokenEndpoint, clientId: 'bench', clientSecret: 'bench-secret' };
    const viaRedis = createClientCredentials({ ...common, store });
    const inProcess = createClientCredentials(common);
    const twin = createClientCredentials(common);
    try {
      await Promise.all([viaRedis.getAccessToken(), inProcess.getAccessToken(), twin.getAccessToken()]);
      const iterations = smoke ? 20_000 : 100_000;
      const subjects = { memory: inProcess, twin, redis: viaRedis };
      for (const tokens of Object.values(subjects)) await rate(tokens, iterations); // warm-up: every path compiled first
      const samples = { redis: [], twin: [] };
      for (let round = 0; round < (smoke ? 3 : 21); round += 1) {
        // Rotate the order, so no subject always runs first or on a warmer machine.
        const order = Object.keys(subjects).map((_, i, names) => names[(i + round) % names.length]);
        const rates = {};
        for (const name of order) rates[name] = await rate(subjects[name], iterations);
        samples.redis.push(rates.redis / rates.memory);
        samples.twin.push(rates.twin / rates.memory);
      }
      const summary = (values) => {
        const sorted = [...values].sort((a, b) => a - b);
        return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1), samples: values };
      };
      const cachedRatio = summary(samples.redis);
      const controlRatio = summary(samples.twin);
      log(`  cached getAccessToken() through the Redis store / in-process cache: ${cachedRatio.median.toFixed(3)} (${cachedRatio.min.toFixed(3)}–${cachedRatio.max.toFixed(3)}); A/A control (a second in-process source): ${controlRatio.median.toFixed(3)}`);
      return { processes: PROCESSES, callers, coldCallsPerKey: coldCalls, cachedRatio, controlRatio };
    } finally {
      viaRedis.dispose();
      inProcess.dispose();
      twin.dispose();
      await store.close();
    }
  } finally {
    await fleet?.close();
    await Promise.all([redis.close(), endpoint.close()]);
  }
}
