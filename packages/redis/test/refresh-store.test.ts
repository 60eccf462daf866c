import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testStore } from '@tokenward/server/conformance';
import { createRedisRefreshStore } from '../src/index.js';
import { startRedisServer, type RedisServer } from './helpers/redis-server.js';

let redis: RedisServer;
let run = 0;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.close());

// Each test gets its own prefix: a fresh, empty store in the same Redis.
testStore(() => createRedisRefreshStore({ url: redis.url, prefix: `conformance:${++run}:` }), { describe, it, expect });
