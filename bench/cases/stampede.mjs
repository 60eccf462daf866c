// 3. Stampede: 100 concurrent calls with an expired access token, in three timings. Counts the calls
// that reached the token endpoint, the calls that failed, and the refresh tokens presented again
// after they had been rotated.
import { axiosAttachAuth, axiosAuthRefresh, kyClient, oauth2Fetch, tokenward, undiciInterceptor } from '../lib/clients.mjs';
import { startServer } from '../lib/server.mjs';

const CALLS = 100;
/** A call not settled by then counts as failed (a client that hangs must not hang the benchmark). */
const CALL_TIMEOUT_MS = 15_000;

export const TIMINGS = {
  'client knows it expired': {
    knownExpired: true,
    server: { tokenDelay: 10 },
    description: 'the client holds the expiry and it has passed; API answers at once, token endpoint in 10 ms',
  },
  'server answers 401 only': {
    knownExpired: false,
    server: { tokenDelay: 10 },
    description: 'the client thinks the token valid, the API answers 401 at once; token endpoint in 10 ms',
  },
  '401 only, jittered API, fast token endpoint': {
    knownExpired: false,
    server: { apiJitter: 50, tokenDelay: 0 },
    description: 'as above, but every API response takes 0–50 ms (seeded jitter) and the token endpoint answers at once, so 401s for the old token keep arriving after the refresh',
  },
};

const CLIENTS = {
  tokenward: (setup) => tokenward(setup),
  'OAuth2Fetch': (setup) => oauth2Fetch(setup),
  'axios + axios-auth-refresh': (setup) => axiosAuthRefresh(setup),
  'axios + tokenward attachAuth': (setup) => axiosAttachAuth(setup),
  'undici + tokenward interceptor': (setup) => undiciInterceptor(setup),
  "ky + README's 401 hook": (setup) => kyClient({ ...setup, refreshOn401: true }),
};

async function once(server, createClient, timing, seed) {
  server.reset({ ...timing.server, seed, validTokens: [], refreshToken: 'rt-0' });
  const client = createClient({
    origin: server.origin,
    tokenUrl: server.tokenUrl,
    store: { access: 'at-0', refresh: 'rt-0' },
    knownExpired: timing.knownExpired,
  });
  let timer;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, CALL_TIMEOUT_MS, 'timed out')));
  const outcomes = await Promise.all(
    Array.from({ length: CALLS }, () =>
      Promise.race([client.get(server.apiUrl).catch(() => 'threw'), deadline]),
    ),
  );
  clearTimeout(timer);
  client.dispose();
  const { refreshCalls, reused } = server.stats();
  return { refreshCalls, failed: outcomes.filter((outcome) => outcome !== 200).length, reused };
}

export async function run({ smoke, log }) {
  const repeats = smoke ? 1 : 3;
  const server = await startServer();
  const results = {};
  // OAuth2Fetch warns on the console for every refused refresh; keep the progress readable.
  const warn = console.warn;
  console.warn = () => {};
  try {
    for (const [timingName, timing] of Object.entries(TIMINGS)) {
      results[timingName] = {};
      for (const [name, createClient] of Object.entries(CLIENTS)) {
        const runs = [];
        for (let repeat = 0; repeat < repeats; repeat++) runs.push(await once(server, createClient, timing, repeat + 1));
        const worst = {
          refreshCalls: Math.max(...runs.map((r) => r.refreshCalls)),
          failed: Math.max(...runs.map((r) => r.failed)),
          reused: Math.max(...runs.map((r) => r.reused)),
        };
        results[timingName][name] = { worst, runs };
        log(`  ${timingName.padEnd(44)} ${name.padEnd(28)} refresh calls ${worst.refreshCalls}, failed ${worst.failed}, reused ${worst.reused}  (worst of ${repeats})`);
      }
    }
  } finally {
    console.warn = warn;
    await server.close();
  }
  return { calls: CALLS, repeats, timings: results };
}
