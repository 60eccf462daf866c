// @tokenward/node benchmark: cached-token throughput, and token-endpoint calls under a stampede.
// Runs against the built package (`npm run build` first). Standalone: `node packages/node/bench/node.bench.mjs`.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createClientCredentials } from '@tokenward/node';

const CALLERS = 10_000;

/** A loopback client credentials token endpoint that counts its calls per scope. */
export async function startTokenEndpoint({ expiresIn }) {
  const calls = new Map();
  let issued = 0;
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const scope = new URLSearchParams(body).get('scope') ?? '';
    calls.set(scope, (calls.get(scope) ?? 0) + 1);
    // Answer a little later, as a real server would: the stampede piles up behind the one call.
    setTimeout(() => {
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end(JSON.stringify({ access_token: `token-${++issued}`, token_type: 'Bearer', expires_in: expiresIn, scope }));
    }, 20);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    tokenEndpoint: `http://127.0.0.1:${port}/token`,
    calls,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** `await getAccessToken()` calls per second on a cached token, best of `rounds`. */
async function cachedThroughput(getAccessToken, { rounds, iterations }) {
  let best = 0;
  for (let round = 0; round < rounds; round += 1) {
    const start = performance.now();
    for (let i = 0; i < iterations; i += 1) await getAccessToken();
    best = Math.max(best, (iterations * 1000) / (performance.now() - start));
  }
  return best;
}

/**
 * Measures the node package. Returns plain numbers:
 * - `cachedCallsPerSecond`: `await tokens.getAccessToken()` with a valid cached token (target >= 2,000,000);
 * - `keyedCallsPerSecond`: the same with a `{ scope, audience }` key;
 * - `sessionCallsPerSecond`: the same through `tokens.session().getAccessToken()`;
 * - `coldCallsPerKey`: token-endpoint calls when 10,000 callers arrive together on each of 3 cold keys (must be 1);
 * - `expiredCallsPerKey`: the same once the token has expired and no timer refreshed it (must be 1).
 */
export async function benchNode({ smoke = false, log = () => {} } = {}) {
  const endpoint = await startTokenEndpoint({ expiresIn: 2 });
  const keys = ['read', 'write', 'read write'];
  const options = { tokenEndpoint: endpoint.tokenEndpoint, clientId: 'bench', clientSecret: 'bench-secret' };
  const tokens = createClientCredentials(options);
  // Timers that never fire (a process that slept through its refresh): expiry is found by the callers.
  const sleeper = createClientCredentials({ ...options, clock: { now: () => Date.now(), setTimeout: () => 0, clearTimeout: () => {} } });
  try {
    const stampede = async (tokens) => {
      const before = keys.map((scope) => endpoint.calls.get(scope) ?? 0);
      const waves = keys.map((scope) => Array.from({ length: CALLERS }, () => tokens.getAccessToken({ scope })));
      const results = await Promise.all(waves.map((wave) => Promise.all(wave)));
      for (const wave of results) if (new Set(wave).size !== 1) throw new Error('callers of one key got different tokens');
      return Math.max(...keys.map((scope, index) => (endpoint.calls.get(scope) ?? 0) - before[index]));
    };
    const coldCallsPerKey = await stampede(tokens);
    log(`token-endpoint calls per key, ${CALLERS} concurrent callers on a cold cache: ${coldCallsPerKey}`);

    const iterations = smoke ? 200_000 : 2_000_000;
    const rounds = smoke ? 2 : 5;
    await tokens.getAccessToken();
    const cachedCallsPerSecond = await cachedThroughput(() => tokens.getAccessToken(), { rounds, iterations });
    const key = { scope: 'read', audience: 'https://api.example' };
    await tokens.getAccessToken(key);
    const keyedCallsPerSecond = await cachedThroughput(() => tokens.getAccessToken(key), { rounds, iterations });
    const session = tokens.session();
    const sessionCallsPerSecond = await cachedThroughput(() => session.getAccessToken(), { rounds, iterations });
    log(`await getAccessToken() on a cached token: ${Math.round(cachedCallsPerSecond).toLocaleString('en')}/s (with a key: ${Math.round(keyedCallsPerSecond).toLocaleString('en')}/s; session: ${Math.round(sessionCallsPerSecond).toLocaleString('en')}/s)`);

    // The first client's sessions would refresh ahead on their timers and be counted below: stop them.
    tokens.dispose();
    // Past expiry, with no refresh-ahead having run: one call per key again.
    await stampede(sleeper);
    await new Promise((resolve) => setTimeout(resolve, 2_050));
    const expiredCallsPerKey = await stampede(sleeper);
    log(`token-endpoint calls per key, ${CALLERS} concurrent callers after expiry: ${expiredCallsPerKey}`);

    return { cachedCallsPerSecond, keyedCallsPerSecond, sessionCallsPerSecond, coldCallsPerKey, expiredCallsPerKey, callers: CALLERS };
  } finally {
    tokens.dispose();
    sleeper.dispose();
    await endpoint.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const print = (line) => process.stdout.write(`${line}\n`);
  const result = await benchNode({ smoke: process.argv.includes('--smoke'), log: print });
  print(JSON.stringify(result));
  const ok = result.cachedCallsPerSecond >= 2_000_000 && result.coldCallsPerKey === 1 && result.expiredCallsPerKey === 1;
  if (!ok) {
    console.error('below target: >= 2,000,000 cached calls/s and exactly 1 token-endpoint call per key');
    process.exitCode = 1;
  }
}
